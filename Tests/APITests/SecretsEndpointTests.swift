import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import OrcastraModels
import OrcastraRuntime
import OrcastraTestSupport
import PostgresNIO
import Testing

@testable import OrcastraAPI

/// Issue 5's endpoints — secrets status, certificates, "my keys" — with the same calls against
/// the embedded backend (real PostgreSQL) and against the Vault-compatible test server, plus
/// Vault's degradation: sealed or unreachable answers 503 for secrets and nothing else.
@Suite("Secrets, PKI and my keys endpoints")
struct SecretsEndpointTests {
    enum Backend: String, CaseIterable, Sendable { case embedded, vault }

    /// The API on `backend`; for Vault a live `FakeVault` is started and handed to `body`.
    static func run(_ backend: Backend, _ body: @Sendable (AuthHarness, any TestClientProtocol, FakeVault?) async throws -> Void) async throws {
        switch backend {
        case .embedded:
            try await AuthHarness.run { h, client in try await body(h, client, nil) }
        case .vault:
            let fake = FakeVault()
            let app = Application(router: fake.router(), configuration: .init(address: .hostname("127.0.0.1", port: 0)))
            try await app.test(.live) { vaultClient in
                let secrets = SecretsBackend.vault(address: "http://127.0.0.1:\(vaultClient.port!)", token: fake.token, pkiRole: "lxd")
                try await AuthHarness.run(secrets: secrets) { h, client in try await body(h, client, fake) }
            }
        }
    }

    static func admin(_ h: AuthHarness) throws -> String { try h.issuer.token(h.issuer.claims(subject: "root", groups: ["role_admin"])) }

    @Test("an issued certificate chains to the CA by openssl verify, is listed, and is listed revoked after revoking", arguments: Backend.allCases)
    func certificates(backend: Backend) async throws {
        try await Self.run(backend) { h, client, _ in
            let admin = try Self.admin(h)
            let (status, data) = try await client.call(.post, "/api/v1/pki/certs", bearer: admin,
                                                       json: #"{"common_name":"lxd-client-1","sans":["node1.example","10.0.0.5"],"ttl_hours":48}"#)
            #expect(status == .created)
            let issued = try JSONValue.parse(String(decoding: data, as: UTF8.self))
            let serial = try #require(issued["serial"]?.string)
            let chain = (issued["chain"]?.items ?? []).compactMap(\.string)
            #expect(chain.count == 2)
            #expect(issued["private_key"]?.string?.contains("PRIVATE KEY") == true)
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("orc-pki-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: dir) }
            try (issued["certificate"]?.string ?? "").write(to: dir.appendingPathComponent("cert.pem"), atomically: true, encoding: .utf8)
            try chain.joined(separator: "\n").write(to: dir.appendingPathComponent("chain.pem"), atomically: true, encoding: .utf8)
            let verify = try await Command.run(try Command.which("openssl"), ["verify", "-CAfile", dir.appendingPathComponent("chain.pem").path, dir.appendingPathComponent("cert.pem").path])
            #expect(verify.status == 0, "\(verify.output) \(verify.error)")
            #expect(verify.output.contains(": OK"))

            let listed = try JSONValue.parse(String(decoding: try await client.call(.get, "/api/v1/pki/certs", bearer: admin).1, as: UTF8.self))
            let entries = listed["items"]?.items ?? []
            let entry = try #require(entries.first(where: { $0["serial"]?.string == serial }))
            #expect(entry["common_name"] == .string("lxd-client-1"))
            #expect(entry["revoked_at"] == .null)
            let (revoked, revokedBody) = try await client.call(.post, "/api/v1/pki/certs/\(serial)/revoke", bearer: admin)
            #expect(revoked == .ok)
            #expect(try JSONValue.parse(String(decoding: revokedBody, as: UTF8.self))["revoked_at"]?.string != nil)
            // A serial written with colons, percent-encoded in the path as clients send it, is
            // read as a serial (unknown here: 404), not refused as malformed.
            let (colons, _) = try await client.call(.post, "/api/v1/pki/certs/00%3Aff%3A01/revoke", bearer: admin)
            #expect(colons == .notFound)
            let actions = try await h.sql { pg in try await pg.query("SELECT action, body FROM audit_events ORDER BY seq").decode((String, String).self).all() }
            #expect(actions.map(\.0).filter { $0.hasPrefix("pki.") } == ["pki.issue", "pki.revoke"])
            #expect(!actions.contains { $0.1.contains("PRIVATE KEY") })
        }
    }

    @Test("certificate requests the CA does not issue → 422 naming the problem", arguments: [
        #"{"common_name":"","ttl_hours":1}"#, #"{"common_name":"x","ttl_hours":9000}"#, #"{"common_name":"x","sans":["not a name!"],"ttl_hours":1}"#,
    ])
    func badCertificateRequests(body: String) async throws {
        try await Self.run(.embedded) { h, client, _ in
            let (status, data) = try await client.call(.post, "/api/v1/pki/certs", bearer: try Self.admin(h), json: body)
            #expect(status == .unprocessableContent)
            #expect(data.errorCode == "invalid_certificate_request")
        }
    }

    @Test("my keys: add (fingerprint as ssh-keygen prints it), list, refuse a bad key with 422, delete; others see none of it", arguments: Backend.allCases)
    func myKeys(backend: Backend) async throws {
        try await Self.run(backend) { h, client, _ in
            let alice = try h.issuer.token(h.issuer.claims(subject: "alice"))
            let bob = try h.issuer.token(h.issuer.claims(subject: "bob"))
            let (line, listing) = try await SSHPublicKeyTests.generate("ed25519", bits: nil)
            let body = try String(decoding: JSONSerialization.data(withJSONObject: ["name": "laptop", "public_key": line.trimmingCharacters(in: .newlines)]), as: UTF8.self)
            let (status, data) = try await client.call(.post, "/api/v1/me/keys", bearer: alice, json: body)
            #expect(status == .created)
            let key = try JSONValue.parse(String(decoding: data, as: UTF8.self))
            let fingerprint = try #require(key["fingerprint"]?.string)
            #expect(listing.contains(fingerprint))
            #expect(try await client.call(.post, "/api/v1/me/keys", bearer: alice, json: body).0 == .conflict)
            let list = try JSONValue.parse(String(decoding: try await client.call(.get, "/api/v1/me/keys", bearer: alice).1, as: UTF8.self))
            #expect(list["items"]?.items?.count == 1)
            let others = try JSONValue.parse(String(decoding: try await client.call(.get, "/api/v1/me/keys", bearer: bob).1, as: UTF8.self))
            #expect(others["items"]?.items?.count == 0)
            let (short, _) = try await SSHPublicKeyTests.generate("rsa", bits: 1024)
            let shortBody = try String(decoding: JSONSerialization.data(withJSONObject: ["name": "old", "public_key": short]), as: UTF8.self)
            let (refused, reason) = try await client.call(.post, "/api/v1/me/keys", bearer: alice, json: shortBody)
            #expect(refused == .unprocessableContent)
            #expect(reason.errorCode == "invalid_public_key")
            let id = try #require(key["id"]?.string)
            #expect(try await client.call(.delete, "/api/v1/me/keys/\(id)", bearer: bob).0 == .notFound)
            #expect(try await client.call(.delete, "/api/v1/me/keys/\(id)", bearer: alice).0 == .noContent)
            let after = try JSONValue.parse(String(decoding: try await client.call(.get, "/api/v1/me/keys", bearer: alice).1, as: UTF8.self))
            #expect(after["items"]?.items?.count == 0)
            let audited = try await h.sql { pg in try await pg.query("SELECT action, body FROM audit_events ORDER BY seq").decode((String, String).self).all() }
            #expect(audited.map(\.0).filter { $0.hasPrefix("secret.") } == ["secret.write", "secret.delete"])
            let material = String(line.split(separator: " ")[1])
            #expect(!audited.contains { $0.1.contains(material) }, "the key material never reaches the audit trail")
        }
    }

    @Test("secrets status (admins only): backend, reachability, seal state and the CA", arguments: Backend.allCases)
    func status(backend: Backend) async throws {
        try await Self.run(backend) { h, client, _ in
            let (status, data) = try await client.call(.get, "/api/v1/secrets/status", bearer: try Self.admin(h))
            #expect(status == .ok)
            let report = try JSONValue.parse(String(decoding: data, as: UTF8.self))
            #expect(report["backend"] == .string(backend.rawValue))
            #expect(report["reachable"] == .bool(true))
            #expect(report["sealed"] == .bool(false))
            #expect(report["ca_subject"]?.string?.isEmpty == false)
            #expect(report["ca_not_after"]?.string != nil)
            let tenant = try h.issuer.token(h.issuer.claims(subject: "t", groups: ["role_tenant"]))
            #expect(try await client.call(.get, "/api/v1/secrets/status", bearer: tenant).0 == .forbidden)
        }
    }

    @Test("Vault sealed → health degraded, /me/keys 503 vault_sealed, /me 200; unsealed → works again without a restart")
    func sealedVault() async throws {
        try await Self.run(.vault) { h, client, fake in
            let fake = try #require(fake)
            let token = try h.issuer.token(h.issuer.claims(subject: "carol"))
            #expect(try await client.call(.get, "/api/v1/me/keys", bearer: token).0 == .ok)
            fake.mode = .sealed
            let (sealed, body) = try await client.call(.get, "/api/v1/me/keys", bearer: token)
            #expect(sealed == .serviceUnavailable)
            #expect(body.errorCode == "vault_sealed")
            #expect(try await client.call(.get, "/api/v1/me", bearer: token).0 == .ok)
            let (healthStatus, health) = try await client.call(.get, "/health")
            #expect(healthStatus == .ok)
            let report = try JSONCoding.decoder.decode(HealthReport.self, from: health)
            #expect(report.status == .degraded)
            #expect(report.checks["vault"]?.status == .degraded)
            let status = try JSONValue.parse(String(decoding: try await client.call(.get, "/api/v1/secrets/status", bearer: try Self.admin(h)).1, as: UTF8.self))
            #expect(status["sealed"] == .bool(true))
            fake.mode = .active
            #expect(try await client.call(.get, "/api/v1/me/keys", bearer: token).0 == .ok)
        }
    }
}
