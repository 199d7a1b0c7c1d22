import Foundation
import HTTPTypes
import HummingbirdTesting
import OrcastraTestSupport
import Testing

@testable import OrcastraDevIdP

@Suite("Userinfo, end-session, revocation and introspection")
struct UserInfoTests {
    @Test("userinfo answers the access token's user by GET and POST")
    func userinfo() async throws {
        try await withDevIdP { client in
            let tokens = try await client.tokens("carol", "carol-pw")
            for method in [HTTPRequest.Method.get, .post] {
                let response = try await client.executeRequest(
                    uri: "/application/o/userinfo/", method: method, headers: [.authorization: "Bearer \(tokens.access_token)"], body: nil
                )
                #expect(response.status == .ok)
                let info = try #require(response.json)
                #expect(info["sub"]?.string == UserDirectory.hexSHA256("carol"))
                #expect(info["email"]?.string == "carol@example.test")
                #expect(info["email_verified"]?.bool == true)
                #expect(info["name"]?.string == "Carol Tenant")
                #expect(info["given_name"]?.string == "Carol Tenant")
                #expect(info["preferred_username"]?.string == "carol")
                #expect(info["nickname"]?.string == "carol")
                #expect(info["groups"] == .array([.string("role_tenant"), .string("role_partner")]))
            }
        }
    }

    @Test("userinfo refuses missing, forged, ID and expired tokens with 401")
    func userinfoRefusals() async throws {
        let clock = ManualClock()
        try await withDevIdP(clock: clock) { client in
            let tokens = try await client.tokens()
            var forged = tokens.access_token
            forged.removeLast(4)
            forged += "AAAA"
            for header in [nil, "Bearer nonsense", "Bearer \(forged)", "Bearer \(tokens.id_token)", "Basic abc"] as [String?] {
                var headers: HTTPFields = [:]
                if let header { headers[.authorization] = header }
                let response = try await client.get("/application/o/userinfo/", headers: headers)
                #expect(response.status == .unauthorized)
                #expect(response.oauthError == "invalid_token")
                #expect(response.headers[.wwwAuthenticate]?.hasPrefix("Bearer") == true)
            }
            clock.advance(seconds: 301)
            let expired = try await client.get("/application/o/userinfo/", headers: [.authorization: "Bearer \(tokens.access_token)"])
            #expect(expired.status == .unauthorized)
        }
    }

    @Test("end-session redirects to a registered post-logout URI with the state")
    func endSessionRedirect() async throws {
        let clock = ManualClock()
        try await withDevIdP(clock: clock) { client in
            let tokens = try await client.tokens()
            clock.advance(seconds: 3600)  // the hint has expired; it is still accepted
            let query = Form.encode([("id_token_hint", tokens.id_token), ("post_logout_redirect_uri", Fixture.postLogoutURI), ("state", "bye")])
            let response = try await client.get("/application/o/orcastra/end-session/?" + query)
            #expect(response.status == .found)
            #expect(response.headers[.location] == Fixture.postLogoutURI + "?state=bye")
            let noHint = try await client.get("/application/o/orcastra/end-session/?" + Form.encode([("post_logout_redirect_uri", Fixture.postLogoutURI)]))
            #expect(noHint.status == .found && noHint.headers[.location] == Fixture.postLogoutURI)
            let byClient = try await client.get("/application/o/orcastra/end-session/?" + Form.encode([("client_id", Fixture.clientID), ("post_logout_redirect_uri", Fixture.postLogoutURI)]))
            #expect(byClient.status == .found && byClient.headers[.location] == Fixture.postLogoutURI)
        }
    }

    @Test("end-session shows the signed-out page for unregistered URIs, bad hints, another client_id and no parameters")
    func endSessionPage() async throws {
        try await withDevIdP { client in
            let queries = [
                "",
                "?" + Form.encode([("post_logout_redirect_uri", "http://evil.example/")]),
                "?" + Form.encode([("id_token_hint", "not.a.jwt"), ("post_logout_redirect_uri", Fixture.postLogoutURI)]),
                "?" + Form.encode([("id_token_hint", "garbage"), ("post_logout_redirect_uri", Fixture.postLogoutURI)]),
                "?" + Form.encode([("client_id", "someone-else"), ("post_logout_redirect_uri", Fixture.postLogoutURI)]),
            ]
            for query in queries {
                let response = try await client.get("/application/o/orcastra/end-session/" + query)
                #expect(response.status == .ok)
                #expect(response.headers[.location] == nil)
                #expect(response.headers[.contentType] == "text/html; charset=utf-8")
                #expect(response.text.contains("You have been signed out"))
            }
        }
    }

    @Test("revocation kills a refresh token, answers 200 for unknown tokens, and needs client authentication")
    func revoke() async throws {
        try await withDevIdP { client in
            let auth: HTTPFields = [.authorization: Form.basic(Fixture.clientID, Fixture.clientSecret)]
            let token = try #require(try await client.tokens().refresh_token)
            let unauthenticated = try await client.postForm("/application/o/revoke/", [("token", token)])
            #expect(unauthenticated.status == .unauthorized && unauthenticated.oauthError == "invalid_client")
            #expect(try await client.postForm("/application/o/revoke/", [("token", token), ("token_type_hint", "refresh_token")], headers: auth).status == .ok)
            #expect(try await client.postForm("/application/o/revoke/", [("token", "unknown")], headers: auth).status == .ok)
            let refreshed = try await client.refresh(token)
            #expect(refreshed.status == .badRequest && refreshed.oauthError == "invalid_grant")
        }
    }

    @Test("introspection reports live tokens with their claims and everything else inactive")
    func introspect() async throws {
        try await withDevIdP { client in
            let auth: HTTPFields = [.authorization: Form.basic(Fixture.clientID, Fixture.clientSecret)]
            let tokens = try await client.tokens("bob", "bob-pw")
            let access = try #require(try await client.postForm("/application/o/introspect/", [("token", tokens.access_token)], headers: auth).json)
            #expect(access["active"]?.bool == true)
            #expect(access["sub"]?.string == UserDirectory.hexSHA256("bob"))
            #expect(access["client_id"]?.string == Fixture.clientID)
            #expect(access["groups"] == .array([.string("role_partner")]))
            let refreshToken = try #require(tokens.refresh_token)
            let refresh = try #require(try await client.postForm("/application/o/introspect/", [("token", refreshToken)], headers: auth).json)
            #expect(refresh["active"]?.bool == true)
            #expect(refresh["scope"]?.string == "openid email profile offline_access")
            for token in ["nonsense", tokens.id_token] {
                let inactive = try await client.postForm("/application/o/introspect/", [("token", token)], headers: auth)
                #expect(inactive.json == .object(["active": .bool(false)]))
            }
            let unauthenticated = try await client.postForm("/application/o/introspect/", [("token", tokens.access_token)])
            #expect(unauthenticated.status == .unauthorized)
        }
    }
}
