import AsyncHTTPClient
import Crypto
import Foundation
import HTTPTypes
import HummingbirdTesting
import Logging
import NIOCore
import OrcastraModels
import OrcastraRuntime
import OrcastraTestSupport
import PostgresNIO
import Testing

@testable import OrcastraAPI

/// The users directory against the development provider's Authentik API (a real
/// `orcastra-devidp` process): the sync creates and updates users, and a user deactivated there
/// is refused within one sync interval, by token and by API key; active again, they are let in.
@Suite("User directory sync", .serialized)
struct UserSyncTests {
    static let apiToken = "sync-test-api-token-0123456789"
    static let interval: Duration = .seconds(1)

    /// The subject the provider gives `username` (Authentik's hashed user id).
    static func subject(_ username: String) -> String {
        Hex.encode(SHA256.hash(data: Array(username.utf8)))
    }

    /// The development provider with four users, its Authentik API open to `apiToken`.
    static func provider() async throws -> ServiceProcess {
        let port = try Command.freePort()
        let seed = FileManager.default.temporaryDirectory.appendingPathComponent("orc-sync-\(UUID().uuidString).json")
        let users = [("admin", "role_admin"), ("partner", "role_partner"), ("tenant", "role_tenant"), ("carol", "orcastra-tenants")].map {
            #"{"username":"\#($0.0)","password":"pw-\#($0.0)","name":"\#($0.0.capitalized) User","email":"\#($0.0)@example.test","groups":["\#($0.1)"]}"#
        }
        try #"{"users":[\#(users.joined(separator: ","))]}"#.write(to: seed, atomically: true, encoding: .utf8)
        let idp = try ServiceProcess("orcastra-devidp", port: port, environment: [
            "DEVIDP_PORT": String(port), "DEVIDP_PUBLIC_URL": "http://127.0.0.1:\(port)", "DEVIDP_CLIENT_ID": "orcastra",
            "DEVIDP_CLIENT_SECRET": "sync-test-client-secret", "DEVIDP_REDIRECT_URIS": "http://127.0.0.1:1/callback",
            "DEVIDP_SEED_FILE": seed.path, "DEVIDP_API_TOKEN": Self.apiToken,
        ])
        try await idp.waitHealthy()
        return idp
    }

    /// Sets a provider user's `is_active` through its Authentik API, as an administrator would.
    static func setActive(_ active: Bool, pk: Int, at idp: ServiceProcess) async throws {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(idp.port)/api/v3/core/users/\(pk)/")
        request.method = .PATCH
        request.headers.add(name: "Authorization", value: "Bearer \(Self.apiToken)")
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(string: #"{"is_active": \#(active)}"#))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(5))
        _ = try await response.body.collect(upTo: 1 << 20)
        #expect(response.status == .ok)
    }

    /// Polls `GET /api/v1/me` with `bearer` until it answers `status`; how long that took, nil
    /// when it did not within `limit`.
    static func waitFor(_ status: HTTPResponse.Status, _ client: any TestClientProtocol, bearer: String, limit: Duration) async throws -> Duration? {
        let start = ContinuousClock.now
        while ContinuousClock.now - start < limit {
            if try await client.call(.get, "/api/v1/me", bearer: bearer).0 == status { return ContinuousClock.now - start }
            try await Task.sleep(for: .milliseconds(100))
        }
        return nil
    }

    @Test("the sync makes the directory's users, and a user deactivated there is refused within one interval, token and API key alike, until reactivated")
    func deactivation() async throws {
        let idp = try await Self.provider()
        defer { idp.terminate() }
        try await AuthHarness.run(configure: {
            $0.userSync = UserSyncSettings(apiURL: "http://127.0.0.1:\(idp.port)", token: Self.apiToken, interval: Self.interval)
        }) { h, client in
            func token(_ username: String, _ group: String) throws -> String {
                try h.issuer.token(h.issuer.claims(subject: Self.subject(username), groups: [group]))
            }
            let admin = try token("admin", "role_admin"), tenant = try token("tenant", "role_tenant")
            #expect(try await client.call(.get, "/api/v1/me", bearer: tenant).0 == .ok)
            let (created, key) = try await client.call(.post, "/api/v1/api-keys", bearer: tenant, json: #"{"name":"sync test"}"#)
            #expect(created == .created)
            let apiKey = try #require((try? JSONCoding.decoder.decode(APIKeyCreated.self, from: key))?.key)

            // Every directory user is known, those who never signed in too, with the group their role comes from.
            var users: [UserInfo] = []
            let deadline = ContinuousClock.now + .seconds(10)
            while users.count < 4, ContinuousClock.now < deadline {
                let (_, body) = try await client.call(.get, "/api/v1/users", bearer: admin)
                users = (try? JSONCoding.decoder.decode(ListPage<UserInfo>.self, from: body))?.items ?? []
                try await Task.sleep(for: .milliseconds(100))
            }
            let carol = try #require(users.first { $0.subject == Self.subject("carol") }, "\(users)")
            #expect(carol.role == .tenant && carol.roleGroup == "orcastra-tenants" && carol.lastSeenAt == nil && carol.syncedAt != nil && !carol.disabled)
            #expect(users.first { $0.subject == Self.subject("partner") }?.roleGroup == "role_partner")

            // Scopes: a tenant sees themselves; the user list answers 404 for anyone else.
            let (_, own) = try await client.call(.get, "/api/v1/users", bearer: tenant)
            #expect((try JSONCoding.decoder.decode(ListPage<UserInfo>.self, from: own)).items.map(\.subject) == [Self.subject("tenant")])
            #expect(try await client.call(.get, "/api/v1/users/\(carol.id.uuidString.lowercased())", bearer: tenant).0 == .notFound)
            #expect(try await client.call(.get, "/api/v1/users/\(carol.id.uuidString.lowercased())", bearer: admin).0 == .ok)
            #expect(try await client.call(.post, "/api/v1/users/sync", bearer: tenant).0 == .forbidden)
            let (synced, report) = try await client.call(.post, "/api/v1/users/sync", bearer: admin)
            #expect(synced == .ok && (try? JSONCoding.decoder.decode(UserSyncReport.self, from: report))?.read == 4, "\(String(decoding: report, as: UTF8.self))")

            // Deactivated at the provider: refused by the next sync, by token and by API key.
            try await Self.setActive(false, pk: 3, at: idp)
            let refusedAfter = try await Self.waitFor(.unauthorized, client, bearer: tenant, limit: Self.interval * 3)
            #expect(refusedAfter != nil, "a deactivated user was still let in after three sync intervals")
            #expect(try await client.call(.get, "/api/v1/me", bearer: apiKey).0 == .unauthorized)
            let (_, listed) = try await client.call(.get, "/api/v1/users/\(users.first { $0.subject == Self.subject("tenant") }?.id.uuidString.lowercased() ?? "")", bearer: admin)
            let disabled = try JSONCoding.decoder.decode(UserInfo.self, from: listed)
            #expect(disabled.disabled && disabled.disabledReason == UserSync.deactivated, "\(disabled)")

            // Active again: let in again, the key too.
            try await Self.setActive(true, pk: 3, at: idp)
            #expect(try await Self.waitFor(.ok, client, bearer: tenant, limit: Self.interval * 3) != nil, "a reactivated user was still refused")
            #expect(try await client.call(.get, "/api/v1/me", bearer: apiKey).0 == .ok)

            // Someone the directory does not list (signed in with a token of the same issuer) is disabled as gone.
            let stranger = try h.issuer.token(h.issuer.claims(subject: "not-in-the-directory", groups: ["role_partner"]))
            #expect(try await client.call(.get, "/api/v1/me", bearer: stranger).0 == .ok)
            #expect(try await Self.waitFor(.unauthorized, client, bearer: stranger, limit: Self.interval * 3) != nil)

            let actions = try await h.sql { sql in
                try await sql.boundedQuery("""
                    SELECT action FROM audit_events WHERE action IN ('user.disable', 'user.enable') AND body::jsonb->'entry'->'actor'->>'user_type' = 'system' ORDER BY seq
                    """, logger: Logger(label: "test")).decode(String.self).all()
            }
            #expect(actions == ["user.disable", "user.enable", "user.disable"])
        }
    }

    @Test("a listing that would remove most active users (or all, from an empty list) is refused as a token that may not read them all", arguments: [
        (listed: 1, active: 10, gone: 9, refused: true), (listed: 0, active: 2, gone: 2, refused: true), (listed: 0, active: 0, gone: 0, refused: false),
        (listed: 9, active: 10, gone: 1, refused: false), (listed: 2, active: 5, gone: 3, refused: false), (listed: 6, active: 10, gone: 4, refused: false),
        (listed: 5, active: 10, gone: 5, refused: false), (listed: 4, active: 10, gone: 6, refused: true),
    ])
    func implausibleListing(listed: Int, active: Int, gone: Int, refused: Bool) {
        #expect(UserSync.implausible(listed: listed, active: active, gone: gone) == refused)
    }
}
