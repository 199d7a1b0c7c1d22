import Foundation
import HTTPTypes
import HummingbirdTesting
import JWTKit
import OrcastraTestSupport
import Testing

@testable import OrcastraDevIdP

@Suite("Token endpoint: authorization code")
struct TokenTests {
    @Test("PKCE S256 with client_secret_basic yields ID, access and refresh tokens in Authentik's shape")
    func exchange() async throws {
        try await withDevIdP { client in
            let response = try await client.exchange(try await client.code())
            #expect(response.status == .ok, "\(response.text)")
            #expect(response.headers[.cacheControl] == "no-store")
            let tokens = try JSONDecoder().decode(TokenSet.self, from: Data(response.body.readableBytesView))
            #expect(tokens.token_type == "Bearer")
            #expect(tokens.scope == "openid email profile offline_access")
            #expect(tokens.expires_in == 300)
            #expect(tokens.refresh_token != nil)

            // Signatures verify against the published JWKS, with jwt-kit as a relying party.
            let keys = try await client.publishedKeys()
            let id = try await keys.verify(tokens.id_token, as: AnyClaims.self)
            let access = try await keys.verify(tokens.access_token, as: AnyClaims.self)
            #expect(id.aud == Fixture.clientID && access.aud == Fixture.clientID)

            let jwks = try #require(try await client.get("/application/o/orcastra/jwks/").json)
            guard case .array(let published)? = jwks["keys"] else { Issue.record("no keys"); return }
            let idToken = try DecodedJWT(tokens.id_token)
            #expect(idToken.header["alg"]?.string == "RS256")
            #expect(idToken.header["typ"]?.string == "JWT")
            #expect(idToken.header["kid"]?.string == published.first?["kid"]?.string)

            let claims = idToken.payload
            #expect(claims["iss"]?.string == Fixture.issuer)
            #expect(claims["sub"]?.string == UserDirectory.hexSHA256("alice"))
            #expect(claims["aud"]?.kind == "string")
            #expect(claims["aud"]?.string == Fixture.clientID)
            #expect(claims["acr"]?.string == "goauthentik.io/providers/oauth2/default")
            #expect(claims["nonce"]?.string == "nonce-456")
            #expect(claims["email"]?.string == "alice@example.test")
            #expect(claims["email_verified"]?.bool == true)
            #expect(claims["name"]?.string == "Alice Admin")
            #expect(claims["given_name"]?.string == "Alice Admin")
            #expect(claims["preferred_username"]?.string == "alice")
            #expect(claims["nickname"]?.string == "alice")
            #expect(claims["groups"] == .array([.string("role_admin"), .string("orcastra-admins")]))
            for name in ["exp", "iat", "auth_time"] { #expect(claims[name]?.kind == "integer") }
            let iat = try #require(claims["iat"]?.number)
            #expect(claims["exp"]?.number == iat + 300)
            #expect(claims["azp"] == nil && claims["uid"] == nil)

            let accessClaims = try DecodedJWT(tokens.access_token).payload
            #expect(accessClaims["azp"]?.string == Fixture.clientID)
            #expect(accessClaims["uid"]?.kind == "string")
            #expect(accessClaims["aud"]?.string == Fixture.clientID)
            #expect(accessClaims["groups"] == claims["groups"])
            #expect(accessClaims.keys == claims.keys.union(["azp", "uid"]))
        }
    }

    @Test("client_secret_post authenticates too")
    func secretPost() async throws {
        try await withDevIdP { client in
            let code = try await client.code()
            let response = try await client.postForm("/application/o/token/", [
                ("grant_type", "authorization_code"), ("code", code), ("redirect_uri", Fixture.redirectURI),
                ("code_verifier", Fixture.verifier), ("client_id", Fixture.clientID), ("client_secret", Fixture.clientSecret),
            ])
            #expect(response.status == .ok)
            #expect(response.json?["id_token"]?.kind == "string")
        }
    }

    @Test("a wrong or missing client secret is 401 invalid_client")
    func wrongSecret() async throws {
        try await withDevIdP { client in
            let code = try await client.code()
            let fields = [("grant_type", "authorization_code"), ("code", code), ("redirect_uri", Fixture.redirectURI),
                          ("code_verifier", Fixture.verifier)]
            let basic = try await client.postForm("/application/o/token/", fields, headers: [.authorization: Form.basic(Fixture.clientID, "wrong")])
            #expect(basic.status == .unauthorized)
            #expect(basic.oauthError == "invalid_client")
            #expect(basic.headers[.wwwAuthenticate]?.hasPrefix("Basic") == true)
            #expect(basic.headers[.cacheControl] == "no-store")
            let post = try await client.postForm("/application/o/token/", fields + [("client_id", Fixture.clientID), ("client_secret", "wrong")])
            #expect(post.status == .unauthorized && post.oauthError == "invalid_client")
            let none = try await client.postForm("/application/o/token/", fields)
            #expect(none.status == .unauthorized && none.oauthError == "invalid_client")
            let otherClient = try await client.postForm("/application/o/token/", fields, headers: [.authorization: Form.basic("other", Fixture.clientSecret)])
            #expect(otherClient.status == .unauthorized && otherClient.oauthError == "invalid_client")
            // The code was never reached, so it still works.
            #expect(try await client.exchange(code).status == .ok)
        }
    }

    @Test("a code works once")
    func reuse() async throws {
        try await withDevIdP { client in
            let code = try await client.code()
            #expect(try await client.exchange(code).status == .ok)
            let second = try await client.exchange(code)
            #expect(second.status == .badRequest)
            #expect(second.oauthError == "invalid_grant")
        }
    }

    @Test("a wrong or missing code verifier is invalid_grant", arguments: [
        "wrong-verifier-wrong-verifier-wrong-verifier-0", String(Fixture.verifier.reversed()), "short", nil,
    ] as [String?])
    func wrongVerifier(verifier: String?) async throws {
        try await withDevIdP { client in
            let response = try await client.exchange(try await client.code(), verifier: verifier)
            #expect(response.status == .badRequest)
            #expect(response.oauthError == "invalid_grant")
        }
    }

    @Test("a code verifier for a code without challenge is refused (no PKCE downgrade)")
    func downgrade() async throws {
        try await withDevIdP { client in
            var parameters = AuthorizeParameters()
            parameters.challenge = nil
            parameters.challengeMethod = nil
            let refused = try await client.exchange(try await client.code("alice", "alice-pw", parameters), verifier: Fixture.verifier)
            #expect(refused.status == .badRequest && refused.oauthError == "invalid_grant")
            let plain = try await client.exchange(try await client.code("alice", "alice-pw", parameters), verifier: nil)
            #expect(plain.status == .ok)
        }
    }

    @Test("the redirect URI at the token endpoint must equal the authorization request's")
    func redirectMismatch() async throws {
        try await withDevIdP { client in
            let other = try await client.exchange(try await client.code(), redirectURI: Fixture.redirectURI + "/")
            #expect(other.status == .badRequest && other.oauthError == "invalid_grant")
            let code = try await client.code()
            let missing = try await client.postForm("/application/o/token/", [
                ("grant_type", "authorization_code"), ("code", code), ("code_verifier", Fixture.verifier),
            ], headers: [.authorization: Form.basic(Fixture.clientID, Fixture.clientSecret)])
            #expect(missing.status == .badRequest && missing.oauthError == "invalid_grant")
        }
    }

    @Test("a code expires after the code TTL")
    func expiredCode() async throws {
        let clock = ManualClock()
        try await withDevIdP(Fixture.config(codeTTL: .seconds(60)), clock: clock) { client in
            let fresh = try await client.code()
            let stale = try await client.code()
            clock.advance(seconds: 59)
            #expect(try await client.exchange(fresh).status == .ok)
            clock.advance(seconds: 2)
            let response = try await client.exchange(stale)
            #expect(response.status == .badRequest && response.oauthError == "invalid_grant")
        }
    }

    @Test("without offline_access there is no refresh token, and scope claims follow the scopes")
    func noOfflineAccess() async throws {
        try await withDevIdP { client in
            var parameters = AuthorizeParameters()
            parameters.scope = "openid email"
            let tokens = try await client.tokens("bob", "bob-pw", parameters)
            #expect(tokens.refresh_token == nil)
            #expect(tokens.scope == "openid email")
            let claims = try DecodedJWT(tokens.id_token).payload
            #expect(claims["email"]?.string == "bob@example.test")
            #expect(claims["groups"] == nil && claims["preferred_username"] == nil)
        }
    }

    @Test("unknown and missing grant types are OAuth errors")
    func grantTypes() async throws {
        try await withDevIdP { client in
            let auth: HTTPFields = [.authorization: Form.basic(Fixture.clientID, Fixture.clientSecret)]
            let password = try await client.postForm("/application/o/token/", [("grant_type", "password")], headers: auth)
            #expect(password.status == .badRequest && password.oauthError == "unsupported_grant_type")
            let none = try await client.postForm("/application/o/token/", [], headers: auth)
            #expect(none.status == .badRequest && none.oauthError == "invalid_request")
            let twice = try await client.postForm("/application/o/token/", [("grant_type", "authorization_code"), ("code", "a"), ("code", "b")], headers: auth)
            #expect(twice.status == .badRequest && twice.oauthError == "invalid_request")
        }
    }
}

@Suite("Token endpoint: refresh")
struct RefreshTests {
    @Test("each refresh rotates: the new token works once, the old one is dead")
    func rotation() async throws {
        let clock = ManualClock()
        try await withDevIdP(clock: clock) { client in
            let first = try await client.tokens()
            let original = try #require(first.refresh_token)
            clock.advance(seconds: 10)

            let refreshed = try await client.refresh(original)
            #expect(refreshed.status == .ok)
            #expect(refreshed.headers[.cacheControl] == "no-store")
            let second = try JSONDecoder().decode(TokenSet.self, from: Data(refreshed.body.readableBytesView))
            let rotated = try #require(second.refresh_token)
            #expect(rotated != original)

            let oldClaims = try DecodedJWT(first.id_token).payload
            let newClaims = try DecodedJWT(second.id_token).payload
            #expect(newClaims["nonce"] == nil)
            #expect(newClaims["iat"]?.number == (oldClaims["iat"]?.number ?? 0) + 10)
            #expect(newClaims["exp"]?.number == (oldClaims["exp"]?.number ?? 0) + 10)
            #expect(newClaims["auth_time"] == oldClaims["auth_time"])
            #expect(newClaims["sub"] == oldClaims["sub"])
            #expect(newClaims["groups"] == oldClaims["groups"])
            _ = try await client.publishedKeys().verify(second.access_token, as: AnyClaims.self)

            let reuse = try await client.refresh(original)
            #expect(reuse.status == .badRequest && reuse.oauthError == "invalid_grant")
            #expect(try await client.refresh(rotated).status == .ok)
            let reuseRotated = try await client.refresh(rotated)
            #expect(reuseRotated.status == .badRequest && reuseRotated.oauthError == "invalid_grant")
        }
    }

    @Test("a refresh token expires after its TTL")
    func expired() async throws {
        let clock = ManualClock()
        try await withDevIdP(clock: clock) { client in
            let token = try #require(try await client.tokens().refresh_token)
            clock.advance(seconds: 3601)
            let response = try await client.refresh(token)
            #expect(response.status == .badRequest && response.oauthError == "invalid_grant")
        }
    }

    @Test("a refresh needs the client's authentication")
    func clientMustMatch() async throws {
        try await withDevIdP { client in
            let token = try #require(try await client.tokens().refresh_token)
            let wrong = try await client.postForm("/application/o/token/", [("grant_type", "refresh_token"), ("refresh_token", token)],
                                                  headers: [.authorization: Form.basic(Fixture.clientID, "nope")])
            #expect(wrong.status == .unauthorized && wrong.oauthError == "invalid_client")
            #expect(try await client.refresh(token).status == .ok)
        }
    }

    @Test("a refresh may narrow the scopes but not widen them")
    func scopes() async throws {
        try await withDevIdP { client in
            let auth: HTTPFields = [.authorization: Form.basic(Fixture.clientID, Fixture.clientSecret)]
            var parameters = AuthorizeParameters()
            parameters.scope = "openid profile offline_access"
            let token = try #require(try await client.tokens("alice", "alice-pw", parameters).refresh_token)
            let widened = try await client.postForm("/application/o/token/", [
                ("grant_type", "refresh_token"), ("refresh_token", token), ("scope", "openid email offline_access"),
            ], headers: auth)
            #expect(widened.status == .badRequest && widened.oauthError == "invalid_scope")
        }
    }
}
