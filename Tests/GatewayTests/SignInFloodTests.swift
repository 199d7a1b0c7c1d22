import AsyncHTTPClient
import Foundation
import OrcastraModels
import OrcastraRuntime
import OrcastraTestSupport
import Testing

@testable import OrcastraAPI
@testable import OrcastraGateway

/// One unauthenticated loop must not block every sign-in: the gateway's own calls to the API
/// are rate-limited per browser it vouches for, and callbacks without a sign-in behind them
/// never reach the API (Services/README.md, security rules 2 and 19).
@Suite("Sign-in under a callback flood (security rules 2 and 19)")
struct SignInFloodTests {
    /// 5 calls per address: far below what a flood sends, above the two a sign-in makes.
    static func limits() -> RateLimitSettings {
        RateLimitSettings(requests: 5, subnetRequests: 1000, window: .seconds(60), keyPrefix: "orcastra-test:ratelimit:\(UUID().uuidString):")
    }

    @Test("2, 19: a flood of callbacks without a state cookie never reaches the API, and a real sign-in afterwards is not 429")
    func statelessFlood() async throws {
        try await SignInStack.run(rateLimit: Self.limits()) { stack in
            let attacker = TestBrowser()
            for i in 0..<20 {
                let page = try await attacker.request(.GET, stack.gateway + RelyingParty.callbackPath + "?code=c\(i)&state=s\(i)")
                #expect(page.status == 403)
            }
            let pages = try await stack.signIn(TestBrowser(), as: "admin")
            #expect(pages.allSatisfy { $0.status != 429 && $0.status != 502 }, "\(pages.map { "\($0.status) \($0.url)" })")
            #expect(pages.last?.status == 200)
            #expect(pages.last?.url == stack.gateway + "/")
            let actions = try await stack.auditActions()
            #expect(!actions.contains("auth.login_failure"), "stateless hits are logged by the gateway, not audited by the API")
            #expect(actions.contains("auth.login"))
        }
    }

    @Test("19: refused sign-ins from one address are still audited but spend only that address's budget, not the one another browser signs in with")
    func perBrowserBudget() async throws {
        let viaProxy = ClientIPPolicy(trustedProxies: [CIDR("127.0.0.1")!, CIDR("::1")!])
        try await SignInStack.run(rateLimit: Self.limits(), gatewayClientIP: viaProxy) { stack in
            let attacker = TestBrowser()
            #expect(try await attacker.request(.GET, stack.gateway + "/login", headers: ["X-Forwarded-For": "198.51.100.66"]).status == 302)
            // A refusal clears the state cookie; the attacker keeps sending the one it got.
            let stateCookie = try #require(attacker.cookie(LoginState.cookieName, host: stack.gatewayHost))
            for _ in 0..<12 {
                attacker.setCookie(LoginState.cookieName, stateCookie, host: stack.gatewayHost, path: RelyingParty.callbackPath)
                let page = try await attacker.request(.GET, stack.gateway + RelyingParty.callbackPath + "?code=x&state=not-the-state",
                                                  headers: ["X-Forwarded-For": "198.51.100.66"])
                #expect(page.status == 403)
            }
            // The attacker's own budget is spent: its reports got 429 after the fifth.
            let failures = try await stack.auditActions().filter { $0 == "auth.login_failure" }
            #expect(failures.count == 5)
            let pages = try await stack.signIn(TestBrowser(), as: "tenant")
            #expect(pages.allSatisfy { $0.status != 429 && $0.status != 502 }, "\(pages.map { "\($0.status) \($0.url)" })")
            #expect(pages.last?.status == 200)
            let bodies = try await stack.sql { pg in try await pg.query("SELECT body FROM audit_events WHERE action = 'auth.login_failure'").decode(String.self).all() }
            #expect(bodies.allSatisfy { $0.contains("198.51.100.66") })
        }
    }
}
