import AsyncHTTPClient
import Foundation
import OrcastraModels
import OrcastraRuntime
import OrcastraTestSupport
import Testing

@testable import OrcastraAPI
@testable import OrcastraGateway

/// Controls of security rules 1, 2 and 6 (Services/README.md) proven end to end: the provider
/// signs the user in, and the gateway still refuses what it must.
@Suite("Gateway sign-in state and session cookie (security rules 1, 2 and 6)")
struct SignInStateTests {
    /// Starts a sign-in, lets `edit` replace the state cookie, then signs in at the provider and
    /// answers the callback's page.
    static func signIn(_ stack: SignInStack, editing edit: (String) throws -> String) async throws -> (TestBrowser, TestBrowser.Page) {
        let browser = TestBrowser()
        let login = try await browser.request(.GET, stack.gateway + "/login")
        let sealed = try #require(browser.cookie(LoginState.cookieName, host: stack.gatewayHost))
        browser.setCookie(LoginState.cookieName, try edit(sealed), host: stack.gatewayHost, path: RelyingParty.callbackPath)
        let authorize = try #require(login.headers.first(name: "Location"))
        let form = try #require(try await browser.follow(.GET, authorize).last)
        let pages = try await browser.submitForm(on: form, fields: ["username": "admin", "password": "admin-pw"])
        return (browser, try #require(pages.first { $0.url.contains(RelyingParty.callbackPath) }))
    }

    static let key = GatewayKeys(secret: testGatewaySecret).cookieSigning

    @Test("1, 2: a state cookie signed with another key, even carrying the right state, is refused at the callback")
    func forgedState() async throws {
        try await SignInStack.run { stack in
            let (browser, callback) = try await Self.signIn(stack) { sealed in
                let state = try #require(LoginState.open(sealed, with: Self.key))
                return try state.sealed(with: GatewayKeys(secret: "an-attacker-guessed-secret-0123456789abcdef").cookieSigning)
            }
            #expect(callback.status == 403)
            #expect(browser.cookie(SessionVault.cookieName, host: stack.gatewayHost) == nil)
        }
    }

    @Test("1, 2: an expired state cookie, correctly signed, is refused at the callback")
    func expiredState() async throws {
        try await SignInStack.run { stack in
            let (browser, callback) = try await Self.signIn(stack) { sealed in
                var state = try #require(LoginState.open(sealed, with: Self.key))
                state.expires = Date().timeIntervalSince1970 - 1
                return try state.sealed(with: Self.key)
            }
            #expect(callback.status == 403)
            #expect(callback.body.contains("expired"))
            #expect(browser.cookie(SessionVault.cookieName, host: stack.gatewayHost) == nil)
        }
    }

    @Test("6: a new session id at sign-in even when the browser brings one, and the one it brought is dropped")
    func noFixation() async throws {
        try await SignInStack.run { stack in
            let planted = try await TestSessions.signIn(role: .tenant)
            let browser = TestBrowser()
            browser.setCookie(SessionVault.cookieName, planted.id, host: stack.gatewayHost)
            try await stack.signIn(browser, as: "admin")
            let fresh = try #require(browser.cookie(SessionVault.cookieName, host: stack.gatewayHost))
            #expect(fresh != planted.id)
            #expect(try await TestSessions.vault().load(fresh)?.identity.role == .admin)
            #expect(try await TestSessions.vault().load(planted.id) == nil)

            // An id the attacker made up and fixed in the victim's browser is not adopted either.
            let chosen = String(repeating: "A", count: 43)
            let victim = TestBrowser()
            victim.setCookie(SessionVault.cookieName, chosen, host: stack.gatewayHost)
            try await stack.signIn(victim, as: "admin")
            #expect(victim.cookie(SessionVault.cookieName, host: stack.gatewayHost) != chosen)
            #expect(try await TestSessions.vault().load(chosen) == nil)
        }
    }

    @Test("6: with an https NEXTAUTH_URL the session and state cookies carry Secure")
    func secureCookies() async throws {
        let port = try Command.freePort()
        try await SignInStack.run(publicURL: "https://orcastra.example.test:\(port)") { stack in
            let browser = TestBrowser()
            let login = try await browser.request(.GET, stack.gateway + "/login")
            let stateCookie = try #require(login.headers["Set-Cookie"].first { $0.hasPrefix(LoginState.cookieName + "=") })
            #expect(stateCookie.contains("; Secure") || stateCookie.hasSuffix("Secure"))
            let authorize = try #require(login.headers.first(name: "Location"))
            let form = try #require(try await browser.follow(.GET, authorize).last)
            let answer = try #require(try await browser.submitForm(on: form, fields: ["username": "admin", "password": "admin-pw"], followRedirects: false).first)
            // The provider sends the browser to the public https URL; TLS ends in front of the gateway.
            let location = try #require(answer.headers.first(name: "Location"))
            #expect(location.hasPrefix("https://orcastra.example.test:\(port)" + RelyingParty.callbackPath))
            let callback = try await browser.request(.GET, stack.gateway + String(location.dropFirst("https://orcastra.example.test:\(port)".count)))
            #expect(callback.status == 302)
            let sessionCookie = try #require(callback.headers["Set-Cookie"].first { $0.hasPrefix(SessionVault.cookieName + "=") })
            #expect(sessionCookie.contains("Secure"))
            #expect(sessionCookie.contains("HttpOnly"))
        }
    }
}
