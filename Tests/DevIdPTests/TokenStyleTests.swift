import Foundation
import HTTPTypes
import HummingbirdTesting
import JWTKit
import OrcastraRuntime
import OrcastraTestSupport
import Testing

@testable import OrcastraDevIdP

/// The provider's other token shapes (`TokenStyle`): opaque access tokens it remembers, and
/// JWTs without `kid`, as some providers other than Authentik issue them.
@Suite("Token style: opaque access tokens, no kid")
struct TokenStyleTests {
    static func config(opaque: Bool = false, omitKid: Bool = false, testControls: Bool = false) -> DevIdPConfig {
        var config = Fixture.config(testControls: testControls)
        config.tokenStyle = TokenStyle.Settings(opaqueAccessTokens: opaque, omitKid: omitKid)
        return config
    }

    static let auth: HTTPFields = [.authorization: Form.basic(Fixture.clientID, Fixture.clientSecret)]

    @Test("opaque: the access token is a random string; introspection and userinfo answer it with the user's claims; the ID token is still a JWT")
    func opaqueAnswered() async throws {
        try await withDevIdP(Self.config(opaque: true)) { client in
            let tokens = try await client.tokens("bob", "bob-pw")
            #expect(!tokens.access_token.contains("."))
            #expect(tokens.access_token.utf8.count >= 43)
            #expect(try DecodedJWT(tokens.id_token).header["kid"] != nil)

            let introspected = try #require(try await client.postForm("/application/o/introspect/", [("token", tokens.access_token)], headers: Self.auth).json)
            #expect(introspected["active"]?.bool == true)
            #expect(introspected["sub"]?.string == UserDirectory.hexSHA256("bob"))
            #expect(introspected["iss"]?.string == Fixture.issuer)
            #expect(introspected["aud"]?.string == Fixture.clientID)
            #expect(introspected["client_id"]?.string == Fixture.clientID)
            #expect(introspected["token_type"]?.string == "access_token")
            #expect(introspected["groups"] == .array([.string("role_partner")]))
            #expect(introspected["exp"]?.number != nil)

            let info = try await client.get("/application/o/userinfo/", headers: [.authorization: "Bearer \(tokens.access_token)"])
            #expect(info.status == .ok)
            #expect(info.json?["email"]?.string == "bob@example.test")
        }
    }

    @Test("opaque: revoked, expired or made up → inactive at introspection and 401 at userinfo")
    func opaqueEnds() async throws {
        let clock = ManualClock()
        try await withDevIdP(Self.config(opaque: true), clock: clock) { client in
            let revoked = try await client.tokens().access_token
            let expiring = try await client.tokens().access_token
            #expect(!revoked.contains(".") && !expiring.contains("."))
            #expect(try await client.postForm("/application/o/revoke/", [("token", revoked)], headers: Self.auth).status == .ok)
            // Revoked: dead at once, unlike a JWT access token, which revocation cannot reach.
            #expect(try await client.postForm("/application/o/introspect/", [("token", revoked)], headers: Self.auth).json == .object(["active": .bool(false)]))
            #expect(try await client.get("/application/o/userinfo/", headers: [.authorization: "Bearer \(expiring)"]).status == .ok)
            clock.advance(seconds: 301)
            for token in [revoked, expiring, "made-up-token"] {
                let answer = try await client.postForm("/application/o/introspect/", [("token", token)], headers: Self.auth)
                #expect(answer.json == .object(["active": .bool(false)]))
                #expect(try await client.get("/application/o/userinfo/", headers: [.authorization: "Bearer \(token)"]).status == .unauthorized)
            }
        }
    }

    @Test("omit kid: the ID and access tokens have no kid, and the published key verifies both")
    func withoutKid() async throws {
        try await withDevIdP(Self.config(omitKid: true)) { client in
            let tokens = try await client.tokens()
            for token in [tokens.id_token, tokens.access_token] {
                let header = try DecodedJWT(token).header
                #expect(header["kid"] == nil)
                #expect(header["alg"]?.string == "RS256")
            }
            let published = try await client.publishedKeys()
            _ = try await published.verify(tokens.id_token, as: AnyClaims.self)
            _ = try await published.verify(tokens.access_token, as: AnyClaims.self)
            #expect(try await client.get("/application/o/userinfo/", headers: [.authorization: "Bearer \(tokens.access_token)"]).status == .ok)
        }
    }

    @Test("/_test/token-style switches both at run time; tokens issued before keep working; stats count introspection and userinfo")
    func switchedByTestControls() async throws {
        try await withDevIdP(Self.config(testControls: true)) { client in
            #expect(try await client.get("/_test/token-style").json == .object(["opaque_access_tokens": .bool(false), "omit_kid": .bool(false)]))
            let before = try await client.tokens()
            #expect(before.access_token.split(separator: ".").count == 3)

            let set = try await client.postJSON("/_test/token-style", #"{"opaque_access_tokens": true, "omit_kid": true}"#)
            #expect(set.status == .ok)
            #expect(set.json == .object(["opaque_access_tokens": .bool(true), "omit_kid": .bool(true)]))
            let after = try await client.tokens()
            #expect(!after.access_token.contains("."))
            #expect(try DecodedJWT(after.id_token).header["kid"] == nil)

            for token in [before.access_token, after.access_token] {
                #expect(try await client.get("/application/o/userinfo/", headers: [.authorization: "Bearer \(token)"]).status == .ok)
                let answer = try await client.postForm("/application/o/introspect/", [("token", token)], headers: Self.auth)
                #expect(answer.json?["active"]?.bool == true)
            }
            let stats = try #require(try await client.get("/_test/stats").json)
            #expect(stats["introspection_requests"]?.number == 2)
            #expect(stats["userinfo_requests"]?.number == 2)

            // A switch left out is off.
            #expect(try await client.postJSON("/_test/token-style", #"{"omit_kid": true}"#).json?["opaque_access_tokens"]?.bool == false)
        }
    }

    @Test("DEVIDP_OPAQUE_ACCESS_TOKENS and DEVIDP_OMIT_KID are read, off by default, and a malformed value is refused")
    func settings() throws {
        let base = try ConfigTests.base()
        #expect(try DevIdPConfig(settings: .testing(base)).tokenStyle == TokenStyle.Settings())
        let on = try DevIdPConfig(settings: .testing(base.merging(["DEVIDP_OPAQUE_ACCESS_TOKENS": "true", "DEVIDP_OMIT_KID": "yes"]) { $1 }))
        #expect(on.tokenStyle == TokenStyle.Settings(opaqueAccessTokens: true, omitKid: true))
        #expect(throws: ConfigError.self) { try DevIdPConfig(settings: .testing(base.merging(["DEVIDP_OMIT_KID": "sometimes"]) { $1 })) }
    }
}
