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

/// Gateway sessions as the API keeps them: started with the provider's token, listed, revoked;
/// a revoked session is refused on its next request and flagged in Redis for the gateway.
@Suite("Sessions")
struct SessionTests {
    static let sessionHeader = HTTPField.Name("X-Orcastra-Session")!

    static let proxySecret = HTTPField.Name("X-Orcastra-Proxy-Secret")!

    /// Starts a session the way the gateway does: with the proxy secret, reporting the browser.
    static func start(_ client: some TestClientProtocol, token: String) async throws -> SessionInfo {
        let (status, data) = try await client.call(.post, "/api/v1/sessions", bearer: token, headers: [Self.proxySecret: AuthHarness.proxySecret],
                                                   json: #"{"ip":"203.0.113.9","user_agent":"TestBrowser/1.0"}"#)
        #expect(status == .created)
        return try JSONCoding.decoder.decode(SessionInfo.self, from: data)
    }

    @Test("start → listed with IP and user agent; /me through it names the session")
    func startAndList() async throws {
        try await AuthHarness.run { h, client in
            let token = try h.issuer.token(h.issuer.claims(subject: "dave"))
            let session = try await Self.start(client, token: token)
            #expect(session.ip == "203.0.113.9")
            #expect(session.userAgent == "TestBrowser/1.0")
            let (status, me) = try await client.me(bearer: token, headers: [Self.sessionHeader: session.id.uuidString])
            #expect(status == .ok)
            #expect(me?.sessionID == session.id)
            let (_, data) = try await client.call(.get, "/api/v1/sessions", bearer: token, headers: [Self.sessionHeader: session.id.uuidString])
            let list = try JSONCoding.decoder.decode(ListPage<SessionInfo>.self, from: data)
            #expect(list.items.map(\.id) == [session.id])
            #expect(list.items.first?.current == true)
            #expect(list.items.first?.userName == "User dave")
        }
    }

    @Test("revoked → the next request naming it is 401 session_ended, and Redis carries the flag for the gateway")
    func revokeRefusesNextRequest() async throws {
        try await AuthHarness.run { h, client in
            let token = try h.issuer.token(h.issuer.claims(subject: "erin"))
            let session = try await Self.start(client, token: token)
            let other = try await Self.start(client, token: token)
            // In use just before: the API remembers it open for a few seconds, and must forget that.
            #expect(try await client.me(bearer: token, headers: [Self.sessionHeader: session.id.uuidString]).0 == .ok)
            #expect(try await client.call(.delete, "/api/v1/sessions/\(session.id)", bearer: token, headers: [Self.sessionHeader: other.id.uuidString]).0 == .noContent)
            let (status, data) = try await client.call(.get, "/api/v1/me", bearer: token, headers: [Self.sessionHeader: session.id.uuidString])
            #expect(status == .unauthorized)
            #expect(data.errorCode == "session_ended")
            let redis = RedisClient(url: try TestEnvironment.redisURL())
            #expect(try await SessionRevocation.isEnded(session.id, redis: redis))
            #expect(try await !SessionRevocation.isEnded(other.id, redis: redis))
            #expect(try await client.me(bearer: token, headers: [Self.sessionHeader: other.id.uuidString]).0 == .ok)
        }
    }

    @Test("own sessions only, except for admins; nobody revokes another's session but an admin")
    func scope() async throws {
        try await AuthHarness.run { h, client in
            let frank = try h.issuer.token(h.issuer.claims(subject: "frank", groups: ["role_partner"]))
            let grace = try h.issuer.token(h.issuer.claims(subject: "grace", groups: ["role_tenant"]))
            let admin = try h.issuer.token(h.issuer.claims(subject: "root", groups: ["role_admin"]))
            let franks = try await Self.start(client, token: frank)
            _ = try await Self.start(client, token: grace)
            let gracesView = try JSONCoding.decoder.decode(ListPage<SessionInfo>.self, from: try await client.call(.get, "/api/v1/sessions", bearer: grace).1)
            #expect(gracesView.items.count == 1)
            #expect(!gracesView.items.contains { $0.id == franks.id })
            let adminView = try JSONCoding.decoder.decode(ListPage<SessionInfo>.self, from: try await client.call(.get, "/api/v1/sessions", bearer: admin).1)
            #expect(adminView.items.count == 2)
            #expect(try await client.call(.delete, "/api/v1/sessions/\(franks.id)", bearer: grace).0 == .notFound)
            #expect(try await client.call(.delete, "/api/v1/sessions/\(franks.id)", bearer: admin).0 == .noContent)
            #expect(try await client.me(bearer: frank, headers: [Self.sessionHeader: franks.id.uuidString]).0 == .unauthorized)
        }
    }

    @Test("a session cannot be started with an API key, nor named by another user's token")
    func boundToItsUser() async throws {
        try await AuthHarness.run { h, client in
            let heidi = try h.issuer.token(h.issuer.claims(subject: "heidi"))
            let ivan = try h.issuer.token(h.issuer.claims(subject: "ivan"))
            let key = try await APIKeyTests.create(client, token: heidi)
            #expect(try await client.call(.post, "/api/v1/sessions", bearer: key.key, json: "{}").0 == .forbidden)
            let heidis = try await Self.start(client, token: heidi)
            #expect(try await client.me(bearer: ivan, headers: [Self.sessionHeader: heidis.id.uuidString]).0 == .unauthorized)
            #expect(try await client.me(bearer: ivan, headers: [Self.sessionHeader: "not-a-uuid"]).0 == .unauthorized)
        }
    }

    @Test("logout ends the session like a revocation; refresh is accepted only through its own session")
    func logoutAndRefresh() async throws {
        try await AuthHarness.run { h, client in
            let token = try h.issuer.token(h.issuer.claims(subject: "judy"))
            let session = try await Self.start(client, token: token)
            let through: HTTPFields = [Self.sessionHeader: session.id.uuidString]
            #expect(try await client.call(.post, "/api/v1/sessions/\(session.id)/refresh", bearer: token).0 == .forbidden)
            #expect(try await client.call(.post, "/api/v1/sessions/\(session.id)/refresh", bearer: token, headers: through).0 == .noContent)
            #expect(try await client.call(.post, "/api/v1/sessions/\(session.id)/logout", bearer: token, headers: through).0 == .noContent)
            #expect(try await client.me(bearer: token, headers: through).0 == .unauthorized)
            let reasons = try await h.sql { pg in try await pg.query("SELECT end_reason FROM sessions").decode(String?.self).all() }
            #expect(reasons == ["logout"])
        }
    }

    @Test("without the gateway's proxy secret the reported address and agent are ignored; the API records what it sees")
    func reportedClientNeedsTheGateway() async throws {
        try await AuthHarness.run { h, client in
            let token = try h.issuer.token(h.issuer.claims(subject: "olivia"))
            let (status, data) = try await client.call(.post, "/api/v1/sessions", bearer: token,
                                                       headers: [.userAgent: "RealAgent/2", Self.proxySecret: "wrong"],
                                                       json: #"{"ip":"10.9.9.9","user_agent":"Forged/1"}"#)
            #expect(status == .created)
            let session = try JSONCoding.decoder.decode(SessionInfo.self, from: data)
            #expect(session.ip != "10.9.9.9")
            #expect(session.userAgent == "RealAgent/2")
        }
    }
}
