import Crypto
import Foundation
import Logging
import OrcastraModels
import OrcastraRuntime
import OrcastraTestSupport
import Testing

@testable import OrcastraAPI

/// What the table's owner can do to the trail once the chain is keyed and anchored: recompute
/// everything (caught by the key), or cut the newest rows and move the head back with them, or
/// rewrite with the key in hand (both caught by the anchor kept outside the audit tables).
@Suite("Audit chain key and anchors")
struct AuditKeyAndAnchorTests {
    @Test("a chain recomputed from an edit onwards, head included, fails without the key")
    func recomputedWithoutKey() async throws {
        try await AuditFixture.with { f throws in
            try await f.recordMany(5)
            try await f.tamper("UPDATE audit_events SET body = replace(body, '\"i\":\"3\"', '\"i\":\"9\"') WHERE seq = 3")
            try await f.recomputeChain(from: 3, key: nil)
            let verification = try await f.verify()
            // Every recomputed row fails its HMAC, so each is named.
            #expect(verification.summary == ["edited@3", "edited@4", "edited@5"], "\(verification.problems)")
            #expect(verification.keyedFromSeq == 1)
            // A guessed key does no better than none.
            try await f.recomputeChain(from: 3, key: SymmetricKey(size: .bits256))
            #expect(try await f.verify().summary == ["edited@3", "edited@4", "edited@5"])
        }
    }

    @Test("the key lives in the secret store, never in the audit tables, and is made once")
    func keyStored() async throws {
        try await AuditFixture.with { f throws in
            try await f.recordMany(2)
            let stored = try #require(try await f.trail.keys.store.read(AuditChainKey.path))
            #expect(stored.version == 1)
            let key = try #require(AuditChainKey(stored: stored.data))
            #expect(key.keyedFromSeq == 1)
            let encoded = try #require(stored.data["key"])
            #expect(try await f.db.sql("SELECT count(*) FROM audit_events WHERE body LIKE '%\(encoded.prefix(16))%'") == "0")
            // A second process (fresh cache) finds the same key instead of making another.
            let other = AuditChainKeys.testing(f.client)
            #expect(try await other.forAppend(client: f.client, logger: f.logger).keyedFromSeq == 1)
            #expect(try await f.trail.keys.store.read(AuditChainKey.path)?.version == 1)
        }
    }

    @Test("rows written before keying began still verify, and keyed rows follow them")
    func legacyRows() async throws {
        try await AuditFixture.with { f throws in
            try await f.recordMany(3)
            // Rows 1–3 as an earlier release wrote them: plain SHA-256; keying starts at 4.
            try await f.recomputeChain(from: 1, key: nil)
            let key = try #require(try await f.trail.keys.forVerify())
            try await f.trail.keys.store.write(AuditChainKey.path, data: AuditChainKey(key: key.key, keyedFromSeq: 4).stored, cas: nil)
            let trail = AuditTrail(service: "orcastra-api", version: "9.9.9", sink: f.sink, keys: .testing(f.client))
            for i in 4...5 { try await trail.record(AuditFixture.event(i), client: f.client, logger: f.logger) }
            let verification = try await AuditVerifier(client: f.client, keys: .testing(f.client)).verify(logger: f.logger)
            #expect(verification.valid, "\(verification.problems)")
            #expect(verification.keyedFromSeq == 4)
            #expect(verification.checked == 5)
        }
    }

    @Test("an anchor writes an audit.anchor line and the secret store, and only when the chain grew")
    func anchorWritten() async throws {
        try await AuditFixture.with { f throws in
            let anchoring = AuditAnchoring(client: f.client, trail: f.trail, interval: .seconds(300), logger: f.logger)
            #expect(await anchoring.anchorIfGrown(since: 0) == 0)
            try await f.recordMany(4)
            let before = f.sink.lines.count
            #expect(await anchoring.anchorIfGrown(since: 0) == 4)
            #expect(f.sink.lines.count == before + 1)
            let line = try #require(f.sink.lines.last)
            #expect(line.contains(#""log_type":"audit""#) && line.contains(#""action":"audit.anchor""#))
            #expect(line.contains(#""head_hash":"\#(Hex.encode(try await f.hash(of: 4)))""#))
            let stored = try #require(try await f.trail.keys.store.read(AuditAnchor.path))
            #expect(AuditAnchor(stored: stored.data)?.seq == 4)
            #expect(await anchoring.anchorIfGrown(since: 4) == 4)
            #expect(f.sink.lines.count == before + 1)
            let verification = try await f.verify()
            #expect(verification.valid && verification.anchorSeq == 4)
        }
    }

    @Test("the newest rows deleted and the head moved back with them are caught by the anchor")
    func cutBelowAnchor() async throws {
        try await AuditFixture.with { f throws in
            try await f.recordMany(5)
            _ = await AuditAnchoring(client: f.client, trail: f.trail, interval: .seconds(300), logger: f.logger).anchorIfGrown(since: 0)
            let third = try await f.hash(of: 3)
            try await f.tamperAll("DELETE FROM audit_events WHERE seq > 3; UPDATE audit_chain_head SET seq = 3, hash = decode('\(Hex.encode(third))', 'hex')")
            let verification = try await f.verify()
            #expect(verification.summary == ["truncated@5"], "\(verification.problems)")
            #expect(verification.problems.first?.message.contains("anchor") == true)
        }
    }

    @Test("a rewrite by someone holding the key is caught by the anchor")
    func rewrittenWithKey() async throws {
        try await AuditFixture.with { f throws in
            try await f.recordMany(5)
            _ = await AuditAnchoring(client: f.client, trail: f.trail, interval: .seconds(300), logger: f.logger).anchorIfGrown(since: 0)
            try await f.tamper("UPDATE audit_events SET body = replace(body, '\"i\":\"4\"', '\"i\":\"9\"') WHERE seq = 4")
            let key = try #require(try await f.trail.keys.forVerify())
            try await f.recomputeChain(from: 4, key: key.key)
            let verification = try await f.verify()
            #expect(verification.summary == ["edited@5"], "\(verification.problems)")
        }
    }

    @Test("with Vault, the key and the anchor live in Vault; a sealed Vault before the key is loaded refuses the change, after it does not matter")
    func vault() async throws {
        try await AuditFixture.with { f throws in
            try await VaultSecretStoreTests().withVault { store, fake in
                let trail = AuditTrail(service: "orcastra-api", version: "t", sink: f.sink, keys: AuditChainKeys(store: store))
                fake.mode = .sealed
                let refused = await #expect(throws: SecretStoreError.self) {
                    try await trail.record(AuditFixture.event(1), client: f.client, logger: f.logger)
                }
                #expect(refused?.apiError.status == .serviceUnavailable)
                #expect(try await f.db.sql("SELECT count(*) FROM audit_events") == "0")
                fake.mode = .active
                for i in 1...3 { try await trail.record(AuditFixture.event(i), client: f.client, logger: f.logger) }
                #expect(try await store.read(AuditChainKey.path) != nil)
                #expect(try await f.db.sql("SELECT count(*) FROM secrets") == "0")
                #expect(await AuditAnchoring(client: f.client, trail: trail, interval: .seconds(300), logger: f.logger).anchorIfGrown(since: 0) == 3)
                fake.mode = .sealed
                try await trail.record(AuditFixture.event(4), client: f.client, logger: f.logger)
                fake.mode = .active
                let verification = try await AuditVerifier(client: f.client, keys: AuditChainKeys(store: store)).verify(logger: f.logger)
                #expect(verification.valid && verification.anchorSeq == 3 && verification.headSeq == 4, "\(verification)")
            }
        }
    }
}
