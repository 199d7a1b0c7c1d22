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
}
