import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import OrcastraModels
import OrcastraRuntime
import PostgresNIO
import Testing

@testable import OrcastraAPI

/// API keys: shown once, stored hashed, usable as Bearer or X-API-Key with the owner's current
/// role, listed without secrets, refused on the next use after revocation or expiry.
@Suite("API keys")
struct APIKeyTests {
    static func create(_ client: some TestClientProtocol, token: String, name: String = "ci", expiresAt: String? = nil) async throws -> APIKeyCreated {
        let body = expiresAt.map { #"{"name":"\#(name)","expires_at":"\#($0)"}"# } ?? #"{"name":"\#(name)"}"#
        let (status, data) = try await client.call(.post, "/api/v1/api-keys", bearer: token, json: body)
        #expect(status == .created)
        return try JSONCoding.decoder.decode(APIKeyCreated.self, from: data)
    }

    @Test("create → the key once (orc_ prefix), stored only as a hash; it authenticates as Bearer and X-API-Key")
    func createAndUse() async throws {
        try await AuthHarness.run { h, client in
            let token = try h.issuer.token(h.issuer.claims(subject: "owner", groups: ["role_admin"]))
            let created = try await Self.create(client, token: token)
            #expect(created.key.hasPrefix("orc_"))
            #expect(created.key.hasPrefix(created.info.prefix))
            #expect(created.info.prefix.count == 12)
            let (status, me) = try await client.me(bearer: created.key)
            #expect(status == .ok)
            #expect(me?.subject == "owner")
            #expect(me?.role == .admin)
            #expect(me?.authMethod == .apiKey)
            #expect(me?.apiKeyID == created.info.id)
            #expect(try await client.me(bearer: nil, headers: [HTTPField.Name("X-API-Key")!: created.key]).0 == .ok)
            // A key cannot mint another key (a leaked one would outlive its revocation).
            let (minted, mintedBody) = try await client.call(.post, "/api/v1/api-keys", bearer: created.key, json: #"{"name":"child"}"#)
            #expect(minted == .forbidden)
            #expect(mintedBody.errorCode == "forbidden")
            let stored = try await h.sql { pg in
                try await pg.query("SELECT key_hash, prefix, last_used_at IS NOT NULL FROM api_keys").decode((Data, String, Bool).self).all()
            }
            #expect(stored.count == 1)
            #expect(stored.first?.0 != Data(created.key.utf8))
            #expect(stored.first?.0 == APIKeySecret.hash(created.key))
            #expect(stored.first?.2 == true, "last_used_at is recorded")
        }
    }

    @Test("the key acts with the owner's current role: a demoted owner's key is demoted too")
    func ownersCurrentRole() async throws {
        try await AuthHarness.run { h, client in
            let asAdmin = try h.issuer.token(h.issuer.claims(subject: "mover", groups: ["role_admin"]))
            let created = try await Self.create(client, token: asAdmin)
            #expect(try await client.me(bearer: created.key).1?.role == .admin)
            let asTenant = try h.issuer.token(h.issuer.claims(subject: "mover", groups: ["role_tenant"]))
            #expect(try await client.me(bearer: asTenant).1?.role == .tenant)
            #expect(try await client.me(bearer: created.key).1?.role == .tenant)
        }
    }

    @Test("list: own keys without secrets; an admin sees everyone's; others cannot revoke what is not theirs")
    func listing() async throws {
        try await AuthHarness.run { h, client in
            let alice = try h.issuer.token(h.issuer.claims(subject: "alice", groups: ["role_tenant"]))
            let bob = try h.issuer.token(h.issuer.claims(subject: "bob", groups: ["role_partner"]))
            let admin = try h.issuer.token(h.issuer.claims(subject: "root", groups: ["role_admin"]))
            let alicesKey = try await Self.create(client, token: alice, name: "alice-key")
            _ = try await Self.create(client, token: bob, name: "bob-key")
            let (status, data) = try await client.call(.get, "/api/v1/api-keys", bearer: alice)
            #expect(status == .ok)
            #expect(!String(decoding: data, as: UTF8.self).contains(alicesKey.key))
            #expect(!String(decoding: data, as: UTF8.self).contains("\"key\""))
            let own = try JSONCoding.decoder.decode(ListPage<APIKeyInfo>.self, from: data)
            #expect(own.items.map(\.name) == ["alice-key"])
            let all = try JSONCoding.decoder.decode(ListPage<APIKeyInfo>.self, from: try await client.call(.get, "/api/v1/api-keys", bearer: admin).1)
            #expect(Set(all.items.map(\.name)) == ["alice-key", "bob-key"])
            let (refused, body) = try await client.call(.delete, "/api/v1/api-keys/\(alicesKey.info.id)", bearer: bob)
            #expect(refused == .notFound)
            #expect(body.errorCode == "not_found")
            #expect(try await client.me(bearer: alicesKey.key).0 == .ok)
        }
    }

    @Test("revoked → 401 on the next use; expired → 401")
    func revokeAndExpiry() async throws {
        try await AuthHarness.run { h, client in
            let token = try h.issuer.token(h.issuer.claims(subject: "carol"))
            let key = try await Self.create(client, token: token)
            #expect(try await client.call(.delete, "/api/v1/api-keys/\(key.info.id)", bearer: token).0 == .noContent)
            #expect(try await client.me(bearer: key.key).0 == .unauthorized)

            let soon = ISO8601DateFormatter().string(from: Date().addingTimeInterval(3600))
            let expiring = try await Self.create(client, token: token, name: "short", expiresAt: soon)
            #expect(try await client.me(bearer: expiring.key).0 == .ok)
            let id = expiring.info.id
            try await h.sql { pg in _ = try await pg.query("UPDATE api_keys SET expires_at = now() - interval '1 second' WHERE id = \(id)") }
            #expect(try await client.me(bearer: expiring.key).0 == .unauthorized)
            #expect(try await client.me(bearer: "orc_00000000_" + String(repeating: "A", count: 43)).0 == .unauthorized)
        }
    }

    @Test("bad input → 4xx naming the problem, nothing stored", arguments: [
        (#"{"name":""}"#, 422), (#"{"name":"x","expires_at":"2001-01-01T00:00:00Z"}"#, 422),
        (#"{"name":"x","expires_at":"tomorrow"}"#, 400), (#"{"nom":"x"}"#, 400), ("not json", 400),
    ])
    func badInput(body: String, status: Int) async throws {
        try await AuthHarness.run { h, client in
            let token = try h.issuer.token(h.issuer.claims())
            let (answer, data) = try await client.call(.post, "/api/v1/api-keys", bearer: token, json: body)
            #expect(answer.code == status)
            #expect(data.errorCode != nil)
            let count = try await h.sql { pg in try await pg.query("SELECT count(*) FROM api_keys").decode(Int.self).all() }
            #expect(count == [0])
        }
    }
}
