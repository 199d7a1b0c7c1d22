import Crypto
import Foundation
import Logging
import OrcastraModels
import OrcastraRuntime
import OrcastraTestSupport
import PostgresNIO
import Testing

@testable import OrcastraAPI

/// What an audit test works with: a migrated throw-away database, a trail writing into a
/// memory sink, and the pool both use.
struct AuditFixture: Sendable {
    let client: PostgresClient
    let db: TestDatabase
    let sink: LogSink
    let trail: AuditTrail
    let logger = Logger(label: "audit-test")

    static let host = LogHost(name: "test-host", containerID: nil)

    /// Runs `body` against a fresh database; dropped afterwards.
    static func with(_ body: @Sendable (AuditFixture) async throws -> Void) async throws {
        try await withMigratedDatabase { client, db in
            let sink = LogSink(.memory)
            let trail = AuditTrail(service: "orcastra-api", version: "9.9.9", sink: sink, keys: .testing(client), host: Self.host)
            try await body(AuditFixture(client: client, db: db, sink: sink, trail: trail))
        }
    }

    /// Records `count` plain events, one after the other; event `i` (from 1) is by user `u<i % 3>`.
    @discardableResult
    func recordMany(_ count: Int) async throws -> [AuditRecord] {
        var records: [AuditRecord] = []
        for i in 1...count {
            records.append(try await self.trail.record(Self.event(i), client: self.client, logger: self.logger))
        }
        return records
    }

    static func event(_ i: Int, action: String = "test.event", result: AuditResult = .success) -> AuditEvent {
        AuditEvent(
            action: action, category: "testing", actor: AuditActor(userID: "u\(i % 3)", userType: .user),
            target: AuditTarget(type: "thing", id: "t\(i)"), result: result, details: ["i": String(i)],
            requestID: "req-\(i)"
        )
    }

    /// Runs SQL on `audit_events` with its append-only trigger disabled, as only the table's owner
    /// can (the test role owns the tables and is not a superuser, so `session_replication_role`
    /// is not available to it); the trigger is enabled again in the same psql call.
    func tamper(_ sql: String) async throws {
        try await self.db.sql("""
            ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only;
            \(sql);
            ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only
            """)
    }

    /// Rewrites rows from `seq` on as someone who also recomputes the chain would: each row's
    /// hash recomputed over its (possibly edited) body and the new previous hash, with `key`
    /// (nil: the unkeyed SHA-256), and the head moved onto the last one, every trigger off.
    func recomputeChain(from seq: Int64, key: SymmetricKey?) async throws {
        var prev = Data()
        var statements: [String] = []
        let rows = try await self.client.query("SELECT seq, prev_hash, body FROM audit_events WHERE seq >= \(seq - 1) ORDER BY seq", logger: self.logger)
        var last: (Int64, Data)?
        for try await (rowSeq, prevHash, body) in rows.decode((Int64, Data, String).self) {
            if rowSeq == seq - 1 {
                prev = try await self.hash(of: rowSeq)
                continue
            }
            if prev.isEmpty { prev = prevHash }
            let hash = AuditChain.hash(prev: prev, seq: rowSeq, body: Data(body.utf8), key: key)
            statements.append("UPDATE audit_events SET prev_hash = decode('\(Hex.encode(prev))', 'hex'), hash = decode('\(Hex.encode(hash))', 'hex') WHERE seq = \(rowSeq)")
            prev = hash
            last = (rowSeq, hash)
        }
        if let (lastSeq, hash) = last {
            statements.append("UPDATE audit_chain_head SET seq = \(lastSeq), hash = decode('\(Hex.encode(hash))', 'hex')")
        }
        try await self.tamperAll(statements.joined(separator: ";\n"))
    }

    /// Recomputes one row's hash over its edited body with the real chain key, as someone holding
    /// the key could; the next row's link (or the head) still names the old hash.
    func recomputeRow(_ seq: Int64) async throws {
        let key = try #require(try await self.trail.keys.forVerify())
        for try await (prev, body) in try await self.client.query("SELECT prev_hash, body FROM audit_events WHERE seq = \(seq)", logger: self.logger).decode((Data, String).self) {
            let hash = AuditChain.hash(prev: prev, seq: seq, body: Data(body.utf8), key: key.key(for: seq))
            try await self.tamper("UPDATE audit_events SET hash = decode('\(Hex.encode(hash))', 'hex') WHERE seq = \(seq)")
        }
    }

    func hash(of seq: Int64) async throws -> Data {
        for try await hash in try await self.client.query("SELECT hash FROM audit_events WHERE seq = \(seq)", logger: self.logger).decode(Data.self) {
            return hash
        }
        return AuditChain.genesis
    }

    /// Like `tamper`, with the chain head's triggers off too, so the head can be moved anywhere.
    func tamperAll(_ sql: String) async throws {
        try await self.db.sql("""
            ALTER TABLE audit_events DISABLE TRIGGER USER;
            ALTER TABLE audit_chain_head DISABLE TRIGGER USER;
            \(sql);
            ALTER TABLE audit_events ENABLE TRIGGER USER;
            ALTER TABLE audit_chain_head ENABLE TRIGGER USER
            """)
    }

    func verify() async throws -> AuditVerification {
        try await AuditVerifier(client: self.client, keys: self.trail.keys).verify(logger: self.logger)
    }
}

extension AuditChainKeys {
    /// Keys kept in the embedded secret store of the test database, sealed with the test
    /// master key that the test APIs use too, so a trail a test makes and one an API made agree.
    static func testing(_ client: PostgresClient) -> AuditChainKeys {
        AuditChainKeys(store: EmbeddedSecretStore(client: client, cipher: try! SecretCipher(masterKey: testMasterKey), logger: Logger(label: "audit-test")))
    }
}

extension AuditVerification {
    /// `kind@seq` of each problem, for compact expectations.
    var summary: [String] { self.problems.map { "\($0.kind.rawValue)@\($0.seq)" } }
}
