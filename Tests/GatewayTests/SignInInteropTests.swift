import Foundation
import OrcastraModels
import OrcastraRuntime
import OrcastraTestSupport
import Testing

@testable import OrcastraAPI
@testable import OrcastraDevIdP
@testable import OrcastraGateway

/// Sign-in against a provider that is not shaped like Authentik: the development provider
/// issuing opaque access tokens and JWTs without `kid`, through the real gateway and API.
@Suite("Gateway sign-in with other providers' token shapes")
struct SignInInteropTests {
    static let introspection = OpaqueTokenSettings(clientID: SignInStack.clientID, clientSecret: SignInStack.clientSecret)

    /// An access token for `username` straight from the provider: the authorization request,
    /// the form, the code from the redirect (not followed to the gateway) and the code exchange.
    static func accessToken(_ stack: SignInStack, as username: String) async throws -> String {
        let browser = TestBrowser()
        let query = [("response_type", "code"), ("client_id", SignInStack.clientID), ("redirect_uri", stack.gateway + RelyingParty.callbackPath),
                     ("scope", "openid profile email"), ("state", "direct")]
        let form = try #require(try await browser.follow(.GET, stack.idp + "/application/o/authorize/?" + FormEncoding.encode(query)).last)
        let password = SignInStack.users.first { $0.username == username }?.password ?? ""
        let redirect = try #require(try await browser.submitForm(on: form, fields: ["username": username, "password": password], followRedirects: false).last)
        let code = try #require(URLComponents(string: redirect.headers.first(name: "Location") ?? "")?.queryItems?.first { $0.name == "code" }?.value)
        let basic = Data("\(SignInStack.clientID):\(SignInStack.clientSecret)".utf8).base64EncodedString()
        let tokens = try await browser.request(.POST, stack.idp + "/application/o/token/", form: [
            ("grant_type", "authorization_code"), ("code", code), ("redirect_uri", stack.gateway + RelyingParty.callbackPath),
        ], headers: ["Authorization": "Basic " + basic])
        return try #require(try JSONValue.parse(tokens.body)["access_token"]?.string)
    }

    /// A JWT's JOSE header.
    static func header(of jwt: String) throws -> JSONValue {
        try JSONValue.parse(String(decoding: try #require(Base64URL.decode(String(jwt.split(separator: ".")[0]))), as: UTF8.self))
    }

    /// The devidp's counters (`/_test/stats`).
    static func stats(_ stack: SignInStack) async throws -> JSONValue {
        try JSONValue.parse(try await TestBrowser().request(.GET, stack.idp + "/_test/stats").body)
    }

    @Test("opaque access tokens and kid-less ID tokens: a full sign-in reaches /api/v1/me, and the API introspects the token once for all its requests")
    func opaqueAndKidless() async throws {
        try await SignInStack.run(tokenStyle: .init(opaqueAccessTokens: true, omitKid: true), apiOpaque: Self.introspection) { stack in
            let browser = TestBrowser()
            let home = try #require(try await stack.signIn(browser, as: "partner").last)
            #expect(home.status == 200)
            #expect(home.url == stack.gateway + "/")
            #expect(home.body.contains(#"data-testid="user-role">Partner<"#))

            // The provider really issued that shape.
            let id = try #require(browser.cookie(SessionVault.cookieName, host: stack.gatewayHost))
            let session = try #require(try await TestSessions.vault().load(id))
            #expect(!session.accessToken.contains("."), "the access token is opaque")
            #expect(try Self.header(of: session.idToken)["kid"] == nil, "the ID token has no kid")

            for _ in 0..<5 {
                let me = try await browser.request(.GET, stack.gateway + "/api/v1/me")
                #expect(me.status == 200)
                let identity = try JSONCoding.decoder.decode(Identity.self, from: Data(me.body.utf8))
                #expect(identity.role == .partner)
                #expect(identity.email == "partner@example.test")
            }
            let stats = try await Self.stats(stack)
            #expect(stats["introspection_requests"]?.number == 1, "session start, the sign-in's /me and five more: one introspection")
            #expect(try await stack.auditActions().contains("auth.login"))
        }
    }

    @Test("switched through /_test/token-style after a JWT sign-in: the next sign-in gets an opaque token and kid-less ID token, and both sessions keep working")
    func switchedAtRuntime() async throws {
        try await SignInStack.run(apiOpaque: Self.introspection) { stack in
            let first = TestBrowser()
            try await stack.signIn(first, as: "admin")
            let switched = try await TestBrowser().request(.POST, stack.idp + "/_test/token-style", json: #"{"opaque_access_tokens":true,"omit_kid":true}"#)
            #expect(switched.status == 200)
            let second = TestBrowser()
            let home = try #require(try await stack.signIn(second, as: "tenant").last)
            #expect(home.body.contains(#"data-testid="user-role">Tenant<"#))
            let vault = try TestSessions.vault()
            let firstID = try #require(first.cookie(SessionVault.cookieName, host: stack.gatewayHost))
            let secondID = try #require(second.cookie(SessionVault.cookieName, host: stack.gatewayHost))
            let jwtSession = try #require(try await vault.load(firstID))
            let opaqueSession = try #require(try await vault.load(secondID))
            #expect(jwtSession.accessToken.split(separator: ".").count == 3)
            #expect(!opaqueSession.accessToken.contains("."))
            #expect(try Self.header(of: opaqueSession.idToken)["kid"] == nil)
            #expect(try await first.request(.GET, stack.gateway + "/api/v1/me").status == 200)
            #expect(try await second.request(.GET, stack.gateway + "/api/v1/me").status == 200)
        }
    }

    @Test("Part of rule 14 with the cache: a token the API has cached is refused once the provider has removed its key and the API has fetched the set again")
    func removedKeyEndsCachedSession() async throws {
        try await SignInStack.run(apiKeys: .init(refetchCooldown: .zero)) { stack in
            let before = TestBrowser()
            try await stack.signIn(before, as: "admin")
            for _ in 0..<3 { #expect(try await before.request(.GET, stack.gateway + "/api/v1/me").status == 200) }

            #expect(try await TestBrowser().request(.POST, stack.idp + "/_test/rotate-key", json: "{}").status == 200)
            // Another user's token names the new kid, so the API fetches the set. It is fetched
            // from the provider directly: the gateway's own key cache would wait out its cooldown.
            let after = try await Self.accessToken(stack, as: "tenant")
            #expect(try await TestBrowser().request(.GET, stack.api + "/api/v1/me", headers: ["Authorization": "Bearer " + after]).status == 200)
            #expect(try await before.request(.GET, stack.gateway + "/api/v1/me").status == 401)
        }
    }
}
