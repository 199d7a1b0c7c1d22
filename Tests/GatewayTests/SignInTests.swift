import AsyncHTTPClient
import Foundation
import OrcastraModels
import OrcastraRuntime
import OrcastraTestSupport
import Testing

@testable import OrcastraAPI
@testable import OrcastraGateway

/// Security rules 1–9 (Services/README.md) through the real devidp, API and gateway, with a scripted
/// browser that fills the provider's form.
@Suite("Gateway sign-in (security rules 1–9)")
struct SignInTests {
    @Test("1, 4, 6: login sets a signed short-lived state cookie; only S256 hashes go to the provider; the session cookie is an HttpOnly SameSite=Lax opaque id")
    func fullSignIn() async throws {
        try await SignInStack.run { stack in
            let browser = TestBrowser()
            let pages = try await stack.signIn(browser, as: "admin")
            let login = try #require(pages.first)
            #expect(login.status == 302)
            let stateCookie = try #require(login.headers["Set-Cookie"].first { $0.hasPrefix(LoginState.cookieName + "=") })
            #expect(stateCookie.contains("HttpOnly"))
            #expect(stateCookie.contains("SameSite=Lax"))
            #expect(stateCookie.contains("Max-Age=900"))
            #expect(stateCookie.contains("Path=\(RelyingParty.callbackPath)"))
            #expect(!stateCookie.contains("Secure"), "http public URL → no Secure flag")
            let location = try #require(login.headers.first(name: "Location"))
            let authorize = try #require(URLComponents(string: location))
            // Form encoding writes spaces as "+", which URLComponents leaves alone.
            let query = Dictionary(uniqueKeysWithValues: (authorize.queryItems ?? []).map { ($0.name, ($0.value ?? "").replacingOccurrences(of: "+", with: " ")) })
            #expect(authorize.path == "/application/o/authorize/")
            #expect(query["code_challenge_method"] == "S256")
            #expect(query["code_challenge"]?.count == 43)
            #expect(query["state"]?.isEmpty == false)
            #expect(query["nonce"]?.isEmpty == false)
            #expect(query["code_verifier"] == nil)
            #expect(query["scope"] == "openid profile email offline_access")
            #expect(query["redirect_uri"] == stack.gateway + "/api/auth/callback/authentik")

            let callback = try #require(pages.first { $0.url.contains("/api/auth/callback/authentik") })
            let sessionCookie = try #require(callback.headers["Set-Cookie"].first { $0.hasPrefix(SessionVault.cookieName + "=") })
            #expect(sessionCookie.contains("HttpOnly"))
            #expect(sessionCookie.contains("SameSite=Lax"))
            #expect(sessionCookie.contains("Path=/"))
            let home = try #require(pages.last)
            #expect(home.status == 200)
            #expect(home.url == stack.gateway + "/")
            #expect(home.body.contains(#"data-testid="user-role">Admin<"#))
            #expect(home.body.contains("admin@example.test"))
            // The page carries no token of any kind.
            let id = try #require(browser.cookie(SessionVault.cookieName, host: stack.gatewayHost))
            let session = try #require(try await TestSessions.vault().load(id))
            #expect(!home.body.contains(session.accessToken))
            #expect(!home.body.contains(session.idToken))
            #expect(try await stack.auditActions().contains("auth.login"))
        }
    }

    @Test("6: the Redis body is encrypted; a tampered cookie is signed out; every sign-in gets a new id")
    func sessionStorage() async throws {
        try await SignInStack.run { stack in
            let browser = TestBrowser()
            try await stack.signIn(browser, as: "tenant")
            let first = try #require(browser.cookie(SessionVault.cookieName, host: stack.gatewayHost))
            let raw = try await RedisClient(url: try TestEnvironment.redisURL()).command("GET", SessionVault.redisKey(first))
            let session = try #require(try await TestSessions.vault().load(first))
            let rawText = String(decoding: { if case .bulk(let b) = raw { return b } else { return [] } }(), as: UTF8.self)
            #expect(!rawText.isEmpty)
            #expect(!rawText.contains(session.accessToken))
            #expect(!rawText.contains("tenant@example.test"))

            var tampered = Array(first)
            tampered[5] = tampered[5] == "A" ? "B" : "A"
            browser.setCookie(SessionVault.cookieName, String(tampered), host: stack.gatewayHost)
            let page = try await browser.request(.GET, stack.gateway + "/")
            #expect(page.status == 302)
            #expect(page.headers.first(name: "Location")?.hasPrefix("/login?return_to=") == true)

            try await stack.signIn(browser, as: "tenant")
            let second = try #require(browser.cookie(SessionVault.cookieName, host: stack.gatewayHost))
            #expect(second != first)
            browser.setCookie(SessionVault.cookieName, first, host: stack.gatewayHost)
            #expect(try await browser.request(.GET, stack.gateway + "/").status == 200, "the first sign-in's session is still its own")
        }
    }

    @Test("2: provider error, missing or mismatched state → 403, no session; audited as a login failure when the browser started a sign-in")
    func callbackRefusals() async throws {
        try await SignInStack.run { stack in
            let callback = stack.gateway + RelyingParty.callbackPath
            let noCookie = try await TestBrowser().request(.GET, callback + "?code=x&state=y")
            #expect(noCookie.status == 403)
            #expect(noCookie.headers["Set-Cookie"].allSatisfy { !$0.hasPrefix(SessionVault.cookieName + "=") })

            let browser = TestBrowser()
            let login = try await browser.request(.GET, stack.gateway + "/login")
            #expect(login.status == 302)
            let mismatched = try await browser.request(.GET, callback + "?code=x&state=not-the-state")
            #expect(mismatched.status == 403)

            let again = TestBrowser()
            let start = try await again.request(.GET, stack.gateway + "/login")
            let state = try #require(URLComponents(string: start.headers.first(name: "Location") ?? "")?.queryItems?.first { $0.name == "state" }?.value)
            let denied = try await again.request(.GET, callback + "?error=access_denied&state=\(state)")
            #expect(denied.status == 403)
            #expect(denied.body.contains("access_denied"))
            #expect(again.cookie(SessionVault.cookieName, host: stack.gatewayHost) == nil)
            // The cookie-less hit is logged by the gateway only; the two with a sign-in behind them are audited.
            let failures = try await stack.auditActions().filter { $0 == "auth.login_failure" }
            #expect(failures.count == 2)
        }
    }

    @Test("2: a code is used once: replaying the callback with the same state cookie is refused")
    func codeReplay() async throws {
        try await SignInStack.run { stack in
            let browser = TestBrowser()
            let pages = try await stack.signIn(browser, as: "partner")
            let callback = try #require(pages.first { $0.url.contains(RelyingParty.callbackPath) })
            let stateCookie = try #require(pages.first?.headers["Set-Cookie"].first { $0.hasPrefix(LoginState.cookieName + "=") })
            let value = String(stateCookie.dropFirst(LoginState.cookieName.count + 1).prefix { $0 != ";" })
            let replay = TestBrowser()
            replay.setCookie(LoginState.cookieName, value, host: stack.gatewayHost, path: RelyingParty.callbackPath)
            let page = try await replay.request(.GET, callback.url)
            #expect(page.status == 403)
            #expect(replay.cookie(SessionVault.cookieName, host: stack.gatewayHost) == nil)
        }
    }

    @Test("3: an ID token whose nonce differs from the one stored for this sign-in is refused")
    func nonceBinding() async throws {
        try await SignInStack.run { stack in
            let browser = TestBrowser()
            let login = try await browser.request(.GET, stack.gateway + "/login")
            let key = GatewayKeys(secret: testGatewaySecret).cookieSigning
            let sealed = try #require(browser.cookie(LoginState.cookieName, host: stack.gatewayHost))
            var state = try #require(LoginState.open(sealed, with: key))
            state.nonce = "a-different-nonce"
            browser.setCookie(LoginState.cookieName, try state.sealed(with: key), host: stack.gatewayHost, path: RelyingParty.callbackPath)
            let location = try #require(login.headers.first(name: "Location"))
            let form = try await browser.follow(.GET, location)
            let formPage = try #require(form.last)
            let pages = try await browser.submitForm(on: formPage, fields: ["username": "admin", "password": "admin-pw"])
            let callback = try #require(pages.first { $0.url.contains(RelyingParty.callbackPath) })
            #expect(callback.status == 403)
            #expect(browser.cookie(SessionVault.cookieName, host: stack.gatewayHost) == nil)
        }
    }

    @Test("5 and 9: signed-out pages redirect to sign-in with a safe return path; signed-out API calls get 401 JSON")
    func signedOut() async throws {
        try await SignInStack.run { stack in
            let browser = TestBrowser()
            let page = try await browser.request(.GET, stack.gateway + "/account?tab=keys")
            #expect(page.status == 302)
            #expect(page.headers.first(name: "Location") == "/login?return_to=%2Faccount%3Ftab%3Dkeys")
            let api = try await browser.request(.GET, stack.gateway + "/api/v1/me")
            #expect(api.status == 401)
            #expect(try JSONCoding.decoder.decode(ErrorBody.self, from: Data(api.body.utf8)).error.code == "unauthorized")
            // The return path survives the round trip; a hostile one becomes "/".
            let pages = try await stack.signIn(browser, as: "tenant", returnTo: "%2Faccount")
            #expect(pages.last?.url == stack.gateway + "/account")
            let hostile = try await stack.signIn(TestBrowser(), as: "tenant", returnTo: "%2F%2Fevil.example%2F")
            #expect(hostile.last?.url == stack.gateway + "/")
        }
    }

    @Test("7: concurrent requests with an expiring token refresh exactly once; the refresh token rotates")
    func singleRefresh() async throws {
        try await SignInStack.run { stack in
            let browser = TestBrowser()
            try await stack.signIn(browser, as: "partner")
            let id = try #require(browser.cookie(SessionVault.cookieName, host: stack.gatewayHost))
            let vault = try TestSessions.vault()
            var session = try #require(try await vault.load(id))
            let oldRefresh = session.refreshToken
            session.accessExpires = Date().timeIntervalSince1970 - 1
            try await vault.save(session, id: id)
            try await TestSessions.letGatewaysHear()
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<8 { group.addTask { try await browser.request(.GET, stack.gateway + "/api/v1/me").status } }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(statuses == Array(repeating: 200, count: 8))
            #expect(try await stack.auditActions().filter { $0 == "auth.refresh" }.count == 1)
            let refreshed = try #require(try await vault.load(id))
            #expect(refreshed.refreshToken != oldRefresh)
            #expect(refreshed.accessExpires > Date().timeIntervalSince1970 + 3000)
        }
    }

    @Test("7: invalid_grant on refresh ends the session")
    func invalidGrantEndsSession() async throws {
        try await SignInStack.run { stack in
            let browser = TestBrowser()
            try await stack.signIn(browser, as: "partner")
            let id = try #require(browser.cookie(SessionVault.cookieName, host: stack.gatewayHost))
            let vault = try TestSessions.vault()
            var session = try #require(try await vault.load(id))
            session.accessExpires = Date().timeIntervalSince1970 - 1
            session.refreshToken = "revoked-or-reused"
            try await vault.save(session, id: id)
            try await TestSessions.letGatewaysHear()
            #expect(try await browser.request(.GET, stack.gateway + "/api/v1/me").status == 401)
            #expect(try await vault.load(id) == nil)
        }
    }

    @Test("8: GET /logout only asks; a cross-site POST is refused; the dashboard's POST ends the session here and at the API, then end-session with client_id and no ID token")
    func logout() async throws {
        try await SignInStack.run { stack in
            let browser = TestBrowser()
            try await stack.signIn(browser, as: "admin")
            let id = try #require(browser.cookie(SessionVault.cookieName, host: stack.gatewayHost))
            let session = try #require(try await TestSessions.vault().load(id))
            let ask = try await browser.request(.GET, stack.gateway + "/logout")
            #expect(ask.status == 200)
            #expect(ask.body.contains(#"<form method="post" action="/logout">"#))
            #expect(try await TestSessions.vault().load(id) != nil, "a GET signs nobody out")
            let crossSite = try await browser.request(.POST, stack.gateway + "/logout", headers: ["Origin": "http://127.0.0.1:1"])
            #expect(crossSite.status == 403)
            #expect(try await TestSessions.vault().load(id) != nil, "a POST from another origin signs nobody out")

            let posted = try await browser.request(.POST, stack.gateway + "/logout", headers: ["Origin": stack.gateway])
            #expect(posted.status == 303)
            let location = try #require(posted.headers.first(name: "Location"))
            let endSession = try #require(URLComponents(string: location))
            #expect(endSession.path == "/application/o/orcastra/end-session/")
            #expect(endSession.queryItems?.first { $0.name == "client_id" }?.value == SignInStack.clientID)
            #expect(endSession.queryItems?.first { $0.name == "id_token_hint" } == nil)
            #expect(!location.contains(session.idToken))
            #expect(endSession.queryItems?.first { $0.name == "post_logout_redirect_uri" }?.value == stack.gateway + "/signin")
            let pages = try await browser.follow(.GET, location)
            #expect(pages.last?.url == stack.gateway + "/signin")
            #expect(pages.last?.body.contains(#"data-testid="sign-in""#) == true)
            #expect(try await TestSessions.vault().load(id) == nil)
            #expect(try await browser.request(.GET, stack.gateway + "/").status == 302)
            #expect(try await browser.request(.GET, stack.gateway + "/logout").headers.first(name: "Location") == "/signin")
            #expect(try await stack.auditActions().contains("auth.logout"))
            let ended = try await stack.sql { pg in try await pg.query("SELECT end_reason FROM sessions").decode(String?.self).all() }
            #expect(ended == ["logout"])
        }
    }

    @Test("a session revoked at the API is refused on its next gateway request")
    func revokedAtAPI() async throws {
        try await SignInStack.run { stack in
            let victim = TestBrowser(), admin = TestBrowser()
            try await stack.signIn(victim, as: "tenant")
            try await stack.signIn(admin, as: "admin")
            let list = try await admin.request(.GET, stack.gateway + "/api/v1/sessions")
            let sessions = try JSONCoding.decoder.decode(ListPage<SessionInfo>.self, from: Data(list.body.utf8))
            let target = try #require(sessions.items.first { $0.userName == "Tess Tenant" })
            #expect(try await admin.request(.DELETE, stack.gateway + "/api/v1/sessions/\(target.id)").status == 204)
            #expect(try await victim.request(.GET, stack.gateway + "/").status == 302)
            #expect(try await victim.request(.GET, stack.gateway + "/api/v1/me").status == 401)
            #expect(try await admin.request(.GET, stack.gateway + "/").status == 200)
            #expect(try await stack.auditActions().contains("session.revoke"))
        }
    }

    @Test("with two gateway replicas, a session revoked at the API is refused on its very next request at each")
    func revokedAtEveryReplica() async throws {
        try await SignInStack.run(replicas: 2) { stack in
            let victim = TestBrowser(), admin = TestBrowser()
            try await stack.signIn(victim, as: "tenant")
            try await stack.signIn(admin, as: "admin")
            // Behind a load balancer both replicas share one origin; here each has its own port, so
            // the browsers' session cookies are copied to the second.
            for browser in [victim, admin] {
                let jar = { (url: String) in url.replacingOccurrences(of: "http://", with: "") }
                let cookie = try #require(browser.cookie(SessionVault.cookieName, host: jar(stack.gateways[0])))
                browser.setCookie(SessionVault.cookieName, cookie, host: jar(stack.gateways[1]))
            }
            for gateway in stack.gateways {
                #expect(try await victim.request(.GET, gateway + "/api/v1/me").status == 200)
            }
            let list = try await admin.request(.GET, stack.gateways[1] + "/api/v1/sessions")
            let sessions = try JSONCoding.decoder.decode(ListPage<SessionInfo>.self, from: Data(list.body.utf8))
            let target = try #require(sessions.items.first { $0.userName == "Tess Tenant" })
            #expect(try await admin.request(.DELETE, stack.gateways[1] + "/api/v1/sessions/\(target.id)").status == 204)
            #expect(try await victim.request(.GET, stack.gateways[0] + "/api/v1/me").status == 401)
            #expect(try await victim.request(.GET, stack.gateways[1] + "/api/v1/me").status == 401)
            for gateway in stack.gateways {
                #expect(try await admin.request(.GET, gateway + "/api/v1/me").status == 200)
            }
        }
    }

    @Test("an API key made through the gateway works directly against the API until revoked")
    func apiKeyThroughGateway() async throws {
        try await SignInStack.run { stack in
            let browser = TestBrowser()
            try await stack.signIn(browser, as: "admin")
            // A page of another origin (a sibling subdomain, another port) cannot make one.
            let forged = try await browser.request(.POST, stack.gateway + "/api/v1/api-keys", json: #"{"name":"evil"}"#, headers: ["Origin": "http://127.0.0.1:1"])
            #expect(forged.status == 403)
            #expect(forged.body.contains("cross_origin"))
            let made = try await browser.request(.POST, stack.gateway + "/api/v1/api-keys", json: #"{"name":"cli"}"#, headers: ["Origin": stack.gateway])
            #expect(made.status == 201)
            let key = try JSONCoding.decoder.decode(APIKeyCreated.self, from: Data(made.body.utf8))
            let direct = TestBrowser()
            let me = try await direct.request(.GET, stack.api + "/api/v1/me", headers: ["Authorization": "Bearer " + key.key])
            #expect(me.status == 200)
            #expect(try JSONCoding.decoder.decode(Identity.self, from: Data(me.body.utf8)).role == .admin)
            #expect(try await browser.request(.DELETE, stack.gateway + "/api/v1/api-keys/\(key.info.id)").status == 204)
            #expect(try await direct.request(.GET, stack.api + "/api/v1/me", headers: ["Authorization": "Bearer " + key.key]).status == 401)
            let actions = try await stack.auditActions()
            #expect(actions.contains("api_key.create"))
            #expect(actions.contains("api_key.revoke"))
        }
    }

    @Test("the home page shows each seeded role, with a navigation that depends on it", arguments: [
        ("admin", "Admin", true), ("partner", "Partner", false), ("tenant", "Tenant", false),
    ])
    func rolesOnHome(user: String, role: String, seesAudit: Bool) async throws {
        try await SignInStack.run { stack in
            let home = try #require(try await stack.signIn(TestBrowser(), as: user).last)
            #expect(home.body.contains(#"data-testid="user-role">\#(role)<"#))
            #expect(home.body.contains(#"href="/audit""#) == seesAudit)
        }
    }

    /// The devidp's JWKS fetch counter (`/_test/stats`).
    static func jwksRequests(_ stack: SignInStack) async throws -> Int {
        let stats = try await TestBrowser().request(.GET, stack.idp + "/_test/stats")
        return try #require(try JSONValue.parse(stats.body)["jwks_requests"]?.number.map(Int.init))
    }

    @Test("13 end to end: with the provider's JWKS answering 503, the keys the API already has keep verifying")
    func jwksOutage() async throws {
        try await SignInStack.run(apiKeys: .init(refetchCooldown: .zero, maxAge: .milliseconds(1), staleIfError: .seconds(3600))) { stack in
            let browser = TestBrowser()
            try await stack.signIn(browser, as: "admin")
            #expect(try await TestBrowser().request(.POST, stack.idp + "/_test/jwks", json: #"{"status":503}"#).status == 200)
            let before = try await Self.jwksRequests(stack)
            try await Task.sleep(for: .milliseconds(10))
            #expect(try await browser.request(.GET, stack.gateway + "/api/v1/me").status == 200)
            #expect(try await Self.jwksRequests(stack) > before, "the API tried to refresh its keys and was answered 503")
        }
    }

    @Test("14 end to end: after the provider rotates its key, refreshed tokens verify after one JWKS refetch")
    func keyRotation() async throws {
        try await SignInStack.run(apiKeys: .init(refetchCooldown: .zero)) { stack in
            let browser = TestBrowser()
            try await stack.signIn(browser, as: "partner")
            #expect(try await TestBrowser().request(.POST, stack.idp + "/_test/rotate-key").status == 200)
            let id = try #require(browser.cookie(SessionVault.cookieName, host: stack.gatewayHost))
            let vault = try TestSessions.vault()
            var session = try #require(try await vault.load(id))
            session.accessExpires = Date().timeIntervalSince1970 - 1
            try await vault.save(session, id: id)
            try await TestSessions.letGatewaysHear()
            let before = try await Self.jwksRequests(stack)
            #expect(try await browser.request(.GET, stack.gateway + "/api/v1/me").status == 200)
            #expect(try await Self.jwksRequests(stack) - before == 1)
        }
    }
}
