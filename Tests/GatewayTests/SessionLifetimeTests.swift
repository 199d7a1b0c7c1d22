import Crypto
import Foundation
import OrcastraModels
import OrcastraRuntime
import OrcastraTestSupport
import Testing

@testable import OrcastraGateway

/// Gateway sessions end on their own: `SESSION_IDLE_MINUTES` after the last request and
/// `SESSION_MAX_HOURS` after sign-in, however busy. Then pages send the browser to sign in, API
/// calls get 401, and the session is gone from Redis.
@Suite("Gateway session lifetime")
struct SessionLifetimeTests {
    @Test("SESSION_MAX_HOURS and SESSION_IDLE_MINUTES: 12 hours and 60 minutes unless set")
    func settings() throws {
        let base = ["AUTHENTIK_ISSUER": "http://idp/application/o/o/", "AUTHENTIK_CLIENT_ID": "c", "AUTHENTIK_CLIENT_SECRET": "s",
                    "NEXTAUTH_SECRET": String(repeating: "x", count: 32)]
        let defaults = try GatewayAuthSettings(settings: .testing(base))
        #expect((defaults.sessionMaxAge, defaults.sessionIdle) == (.seconds(12 * 3600), .seconds(3600)))
        let set = try GatewayAuthSettings(settings: .testing(base.merging(["SESSION_MAX_HOURS": "2", "SESSION_IDLE_MINUTES": "5"]) { $1 }))
        #expect((set.sessionMaxAge, set.sessionIdle) == (.seconds(7200), .seconds(300)))
    }

    @Test("idle: requests keep a session alive; unused for the idle time it is refused (page → sign-in, API → 401) and deleted")
    func idle() async throws {
        try await SignInStack.run(sessionIdle: .seconds(2)) { stack in
            let browser = TestBrowser()
            try await stack.signIn(browser, as: "tenant")
            let id = try #require(browser.cookie(SessionVault.cookieName, host: stack.gatewayHost))
            for _ in 0..<3 {
                try await Task.sleep(for: .seconds(1))
                #expect(try await browser.request(.GET, stack.gateway + "/api/v1/me").status == 200)
            }
            try await Task.sleep(for: .milliseconds(2500))
            #expect(try await browser.request(.GET, stack.gateway + "/api/v1/me").status == 401)
            let page = try await browser.request(.GET, stack.gateway + "/")
            #expect(page.status == 302)
            #expect(page.headers.first(name: "Location")?.hasPrefix("/login") == true)
            #expect(try await TestSessions.vault().load(id) == nil)
        }
    }

    @Test("absolute: past the maximum age a busy session is refused and deleted")
    func absolute() async throws {
        try await SignInStack.run(sessionMaxAge: .seconds(4)) { stack in
            let browser = TestBrowser()
            try await stack.signIn(browser, as: "tenant")
            let id = try #require(browser.cookie(SessionVault.cookieName, host: stack.gatewayHost))
            let session = try #require(try await TestSessions.vault().load(id))
            #expect(try await browser.request(.GET, stack.gateway + "/api/v1/me").status == 200)
            try await Task.sleep(for: .seconds(max(0, session.createdAt + 4.5 - Date().timeIntervalSince1970)))
            #expect(try await browser.request(.GET, stack.gateway + "/api/v1/me").status == 401)
            #expect(try await browser.request(.GET, stack.gateway + "/").status == 302)
            #expect(try await TestSessions.vault().load(id) == nil)
        }
    }

    @Test("the vault refuses and deletes a stored session older than the maximum age, whatever Redis' expiry says")
    func vaultChecksAge() async throws {
        let vault = try TestSessions.vault()
        let planted = try await TestSessions.signIn()
        var old = planted.session
        old.createdAt = Date().timeIntervalSince1970 - 13 * 3600
        let sealedLong = SessionVault(redis: vault.redis, key: vault.key, maxAge: .seconds(48 * 3600), idle: .seconds(3600))
        try await sealedLong.save(old, id: planted.id)
        #expect(try await sealedLong.load(planted.id) != nil)
        #expect(try await vault.load(planted.id) == nil, "12 hours is the default maximum")
        #expect(try await sealedLong.load(planted.id) == nil, "and it was deleted")
    }
}

/// The Redis key of a session, spelled out by hand for speed, is exactly the prefix and the
/// lower-case hex SHA-256 of the cookie id (sessions stored by an earlier gateway stay found).
@Suite("Gateway session keys")
struct SessionKeyTests {
    @Test("the key is the prefix and the lower-case hex SHA-256 of the cookie id")
    func keyFormat() {
        let id = "Yx1_abc-DEF0123456789abcdefghijklmnopqrstuv"
        let hex = Hex.encode(SHA256.hash(data: Data(id.utf8)))
        #expect(SessionVault.redisKey(id) == "orcastra:gw-session:" + hex)
        #expect(SessionVault.redisKey("") == "orcastra:gw-session:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }
}

/// A session unsealed once is reused only while Redis holds exactly the bytes it came from.
@Suite("Gateway opened sessions")
struct OpenedSessionsTests {
    @Test("same bytes → the session unsealed before; changed bytes in Redis (tampered or re-saved) are unsealed again")
    func reusedOnlyForSameBytes() async throws {
        let vault = try TestSessions.vault()
        let planted = try await TestSessions.signIn()
        let key = SessionVault.redisKey(planted.id)
        #expect(try await vault.load(planted.id) == planted.session)
        guard case .bulk(let stored) = try await vault.redis.command("GET", key) else {
            Issue.record("the session is not in Redis")
            return
        }
        #expect(vault.opened.session(at: key, value: stored) == planted.session)
        #expect(try await vault.load(planted.id) == planted.session)

        var tampered = stored
        tampered[tampered.count - 1] ^= 1
        try await vault.redis.command([Array("SET".utf8), Array(key.utf8), tampered])
        #expect(try await vault.load(planted.id) == nil, "tampered bytes are not the remembered ones and do not open")

        var renamed = planted.session
        renamed.identity.name = "Renamed"
        try await vault.save(renamed, id: planted.id)
        #expect(try await vault.load(planted.id)?.identity.name == "Renamed")

        try await vault.delete(planted.id)
        #expect(try await vault.load(planted.id) == nil)
        #expect(vault.opened.session(at: key, value: stored) == nil, "deleting forgets it")
    }

    @Test("bounded: past its capacity it starts afresh")
    func bounded() throws {
        let opened = OpenedSessions(capacity: 2)
        let session = self.sampleSession()
        for key in ["a", "b", "c"] { opened.remember(session, at: key, value: [1], apiSession: "x", readAt: opened.generation, window: .seconds(1)) }
        #expect(["a", "b", "c"].map { opened.session(at: $0, value: [1]) != nil } == [false, false, true])
        #expect(opened.session(at: "c", value: [2]) == nil)
    }

    func sampleSession() -> GatewaySession {
        let identity = Identity(id: UUID(), subject: "s", name: "n", email: nil, role: .tenant, groups: [], authMethod: .token)
        return GatewaySession(apiSessionID: UUID(), accessToken: "a", refreshToken: "r", idToken: "i",
                              accessExpires: 0, identity: identity, createdAt: 0)
    }
}
