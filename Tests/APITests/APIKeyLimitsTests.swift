import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import OrcastraModels
import OrcastraRuntime
import OrcastraTestSupport
import PostgresNIO
import Testing

@testable import OrcastraAPI

/// API keys do not outlive their owner's rights: every key expires (`API_KEY_DEFAULT_DAYS`,
/// at most `API_KEY_MAX_DAYS`), acts with the lower of its own role and its owner's current one,
/// stops with a disabled owner, and a read-only key only reads.
@Suite("API key lifetime, scope and role")
struct APIKeyLimitsTests {
    static func create(_ client: some TestClientProtocol, token: String, _ body: String) async throws -> APIKeyCreated {
        let (status, data) = try await client.call(.post, "/api/v1/api-keys", bearer: token, json: body)
        #expect(status == .created, "\(String(decoding: data, as: UTF8.self))")
        return try JSONCoding.decoder.decode(APIKeyCreated.self, from: data)
    }

    static func days(until date: Date?) -> Double {
        ((date ?? .distantPast).timeIntervalSinceNow / 86_400).rounded()
    }

    @Test("no expiry asked → API_KEY_DEFAULT_DAYS; fewer days may be asked, more may not (422, nothing stored)")
    func lifetimes() async throws {
        try await AuthHarness.run(configure: { $0.apiKeys = APIKeySettings(defaultDays: 10, maxDays: 20) }) { h, client in
            let token = try h.issuer.token(h.issuer.claims(subject: "dora", groups: ["role_partner"]))
            #expect(Self.days(until: try await Self.create(client, token: token, #"{"name":"default"}"#).info.expiresAt) == 10)
            #expect(Self.days(until: try await Self.create(client, token: token, #"{"name":"short","expires_in_days":3}"#).info.expiresAt) == 3)
            let inNineteenDays = ISO8601DateFormatter().string(from: Date().addingTimeInterval(19 * 86_400))
            #expect(Self.days(until: try await Self.create(client, token: token, #"{"name":"at","expires_at":"\#(inNineteenDays)"}"#).info.expiresAt) == 19)

            let tooFar = ISO8601DateFormatter().string(from: Date().addingTimeInterval(21 * 86_400))
            for body in [#"{"name":"long","expires_in_days":21}"#, #"{"name":"zero","expires_in_days":0}"#,
                         #"{"name":"far","expires_at":"\#(tooFar)"}"#, #"{"name":"both","expires_in_days":1,"expires_at":"\#(inNineteenDays)"}"#] {
                let (status, data) = try await client.call(.post, "/api/v1/api-keys", bearer: token, json: body)
                #expect(status == .unprocessableContent, "\(body)")
                #expect(data.errorCode == "invalid_expiry", "\(body)")
            }
            let (_, data) = try await client.call(.post, "/api/v1/api-keys", bearer: token, json: #"{"name":"long","expires_in_days":21}"#)
            #expect(String(decoding: data, as: UTF8.self).contains("20"), "the message names the maximum")
            let count = try await h.sql { pg in try await pg.query("SELECT count(*) FROM api_keys").decode(Int.self).all() }
            #expect(count == [3])
        }
    }

    @Test("a read-only key reads and gets 403 read_only_key for anything else; its scope is listed and audited")
    func readOnly() async throws {
        try await AuthHarness.run { h, client in
            let token = try h.issuer.token(h.issuer.claims(subject: "erin", groups: ["role_admin"]))
            let reader = try await Self.create(client, token: token, #"{"name":"reader","scope":"read_only"}"#)
            let writer = try await Self.create(client, token: token, #"{"name":"writer"}"#)
            #expect(reader.info.scope == .readOnly)
            #expect(writer.info.scope == .readWrite, "read-write stays the default, as the dashboard has always made keys")
            #expect(try await client.me(bearer: reader.key).1?.role == .admin)

            let (status, data) = try await client.call(.delete, "/api/v1/api-keys/\(writer.info.id)", bearer: reader.key)
            #expect(status == .forbidden)
            #expect(data.errorCode == "read_only_key")
            #expect(String(decoding: data, as: UTF8.self).contains("read-only"))
            #expect(try await client.me(bearer: writer.key).0 == .ok, "nothing was revoked")
            #expect(try await client.call(.delete, "/api/v1/api-keys/\(reader.info.id)", bearer: writer.key).0 == .noContent)

            let listed = try JSONCoding.decoder.decode(ListPage<APIKeyInfo>.self, from: try await client.call(.get, "/api/v1/api-keys", bearer: token).1)
            #expect(Set(listed.items.map { "\($0.name) \($0.scope.rawValue)" }) == ["reader read_only", "writer read_write"])
            let audited = try await h.sql { pg in
                try await pg.query("SELECT body FROM audit_events WHERE action = 'api_key.create' ORDER BY seq").decode(String.self).all()
            }
            #expect(audited.count == 2)
            #expect(audited.first?.contains(#""scope":"read_only""#) == true, "\(audited)")
            #expect(audited.last?.contains(#""scope":"read_write""#) == true)
        }
    }

    @Test("a key acts with the lower of its own role and its owner's current one; no key above the creator's role")
    func roleCeiling() async throws {
        try await AuthHarness.run { h, client in
            let asTenant = try h.issuer.token(h.issuer.claims(subject: "fay", groups: ["role_tenant"]))
            let key = try await Self.create(client, token: asTenant, #"{"name":"old"}"#)
            #expect(key.info.role == .tenant)
            let asAdmin = try h.issuer.token(h.issuer.claims(subject: "fay", groups: ["role_admin"]))
            #expect(try await client.me(bearer: asAdmin).1?.role == .admin)
            #expect(try await client.me(bearer: key.key).1?.role == .tenant, "promoting the owner does not promote old keys")

            let partnerKey = try await Self.create(client, token: asAdmin, #"{"name":"narrow","role":"partner"}"#)
            #expect(try await client.me(bearer: partnerKey.key).1?.role == .partner)
            let (status, data) = try await client.call(.post, "/api/v1/api-keys", bearer: asTenant, json: #"{"name":"up","role":"admin"}"#)
            #expect(status == .unprocessableContent)
            #expect(data.errorCode == "invalid_role")
        }
    }

    @Test("a key whose owner is disabled is refused on its next request")
    func disabledOwner() async throws {
        try await AuthHarness.run { h, client in
            let token = try h.issuer.token(h.issuer.claims(subject: "gus", groups: ["role_partner"]))
            let key = try await Self.create(client, token: token, #"{"name":"ci"}"#)
            #expect(try await client.me(bearer: key.key).0 == .ok)
            try await h.sql { pg in _ = try await pg.query("UPDATE users SET disabled_at = now() WHERE subject = 'gus'") }
            #expect(try await client.me(bearer: key.key).0 == .unauthorized)
        }
    }

    @Test("migration 0008 gives keys without an expiry created_at + 90 days and each key its owner's role")
    func migration() async throws {
        let db = try await TestDatabase.create()
        defer { db.drop() }
        let all = try Migrations.bundled
        let logger = Logger(label: "migration-test")
        try await withPostgresClient(db.url) { pg in
            _ = try await Migrations(files: all.files.filter { $0.version < 8 }).apply(client: pg, logger: logger)
            _ = try await pg.query("INSERT INTO users (subject, role) VALUES ('hal', 'partner')")
            _ = try await pg.query(
                """
                INSERT INTO api_keys (owner_id, name, prefix, key_hash, created_at)
                SELECT id, 'legacy', 'orc_00000000', '\\x00'::bytea, now() - interval '10 days' FROM users
                """)
            _ = try await all.apply(client: pg, logger: logger)
            let rows = try await pg.query(
                "SELECT (expires_at - created_at) = interval '90 days', scope, role FROM api_keys").decode((Bool, String, String).self).all()
            #expect(rows.count == 1)
            #expect(rows.first?.0 == true)
            #expect(rows.first?.1 == "read_write")
            #expect(rows.first?.2 == "partner")
        }
    }
}
