import Foundation
import OrcastraTestSupport
import Testing

/// The three binaries configured through `.env` for a provider whose access tokens are opaque
/// and whose JWTs carry no `kid`: the settings an operator would write, end to end.
@Suite("Services as processes: opaque access tokens and kid-less JWTs")
struct OpaqueSignInProcessTests {
    @Test("DEVIDP_OPAQUE_ACCESS_TOKENS, DEVIDP_OMIT_KID and OIDC_INTROSPECTION_CLIENT_SECRET: a full sign-in reaches /api/v1/me; no token or secret in any log line, debug included")
    func signIn() async throws {
        let product = try await ProductProcesses(extraEnvironment: [
            "DEVIDP_OPAQUE_ACCESS_TOKENS": "true", "DEVIDP_OMIT_KID": "true",
            "OIDC_INTROSPECTION_CLIENT_SECRET": "integration-client-secret", "LOG_LEVEL": "debug",
        ])
        let browser = TestBrowser()
        let home = try await product.signIn(browser, as: "tenant")
        #expect(home.status == 200)
        #expect(home.body.contains(#"data-testid="user-role">Tenant<"#))
        let me = try await browser.request(.GET, product.gatewayURL + "/api/v1/me")
        #expect(me.status == 200)
        #expect(try JSONValue.parse(me.body)["email"]?.string == "tenant@example.test")

        // The provider really issues that shape: a code exchanged here, outside the gateway.
        let tokens = try await Self.tokens(product, as: "admin")
        let accessToken = try #require(tokens["access_token"]?.string)
        #expect(!accessToken.contains("."), "the access token is opaque")
        let idToken = try #require(tokens["id_token"]?.string)
        let header = try JSONValue.parse(String(decoding: try #require(Self.base64URL(String(idToken.split(separator: ".")[0]))), as: UTF8.self))
        #expect(header["alg"]?.string == "RS256")
        #expect(header["kid"] == nil, "the ID token has no kid")
        let direct = try await TestBrowser().request(.GET, product.apiURL + "/api/v1/me", headers: ["Authorization": "Bearer " + accessToken])
        #expect(direct.status == 200)

        // A made-up opaque token sent straight to the API: refused, and its refusal logged at
        // debug level without the token.
        let probe = "opaque-probe-\(UUID().uuidString)"
        #expect(try await TestBrowser().request(.GET, product.apiURL + "/api/v1/me", headers: ["Authorization": "Bearer " + probe]).status == 401)
        let api = product.api
        try await Command.waitUntil(.seconds(5), "the API's debug line for the refused token") {
            api.lines.contains { $0.contains("bearer token refused") && $0.contains("not active") }
        }
        let session = try #require(browser.cookie("orcastra_session", host: "127.0.0.1:\(product.gateway.port)"))
        for line in product.api.lines + product.gateway.lines + product.idp.lines {
            #expect(!line.contains("integration-client-secret"))
            #expect(!line.contains(probe))
            #expect(!line.contains(session))
            #expect(!line.contains("eyJ"), "a JWT reached a log line: \(line)")
        }
        #expect(product.stop() == [0, 0, 0])
    }

    /// The token response for `username`, from the provider's form and token endpoint.
    static func tokens(_ product: ProductProcesses, as username: String) async throws -> JSONValue {
        let browser = TestBrowser()
        let callback = product.gatewayURL + "/api/auth/callback/authentik"
        let authorize = "http://127.0.0.1:\(product.idp.port)/application/o/authorize/?response_type=code&client_id=orcastra&scope=openid%20profile%20email&state=s&redirect_uri="
            + (callback.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")
        let form = try #require(try await browser.follow(.GET, authorize).last)
        let password = ProductProcesses.users.first { $0.username == username }?.password ?? ""
        let redirect = try #require(try await browser.submitForm(on: form, fields: ["username": username, "password": password], followRedirects: false).last)
        let code = try #require(URLComponents(string: redirect.headers.first(name: "Location") ?? "")?.queryItems?.first { $0.name == "code" }?.value)
        let answer = try await browser.request(.POST, "http://127.0.0.1:\(product.idp.port)/application/o/token/",
                                               form: [("grant_type", "authorization_code"), ("code", code), ("redirect_uri", callback)],
                                               headers: ["Authorization": "Basic " + Data("orcastra:integration-client-secret".utf8).base64EncodedString()])
        #expect(answer.status == 200)
        return try JSONValue.parse(answer.body)
    }

    static func base64URL(_ text: String) -> Data? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        return Data(base64Encoded: base64)
    }
}
