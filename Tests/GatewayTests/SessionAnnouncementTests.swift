import Foundation
import OrcastraModels
import OrcastraRuntime
import OrcastraTestSupport
import Testing

@testable import OrcastraGateway

/// Sessions served from memory between Redis reads, and dropped the moment a change is
/// announced: against the real Redis, with the gateway's own subscriber.
@Suite("Gateway sessions between Redis reads")
struct SessionAnnouncementTests {
    /// A vault whose memory follows the announcements, as the running gateway's does.
    static func withSubscribedVault(_ body: (SessionVault) async throws -> Void) async throws {
        let url = try TestEnvironment.redisURL()
        let opened = OpenedSessions()
        let subscribed = AsyncStream<Bool>.makeStream()
        let subscriber = RedisSubscriber(url: url, channel: SessionAnnouncements.channel(url), onMessage: { opened.announced($0) },
                                         onState: { opened.subscription(up: $0); subscribed.continuation.yield($0) })
        let running = Task { try await subscriber.run() }
        defer { running.cancel() }
        var states = subscribed.stream.makeAsyncIterator()
        #expect(await states.next() == true, "the subscription is confirmed")
        var vault = try TestSessions.vault()
        vault.opened = opened
        try await body(vault)
        running.cancel()
        _ = try? await running.value
    }

    /// A signed-in session whose own "saved" announcement has been heard, so that it cannot
    /// land in the middle of the test's first read.
    static func signIn(_ vault: SessionVault) async throws -> TestSessions.Planted {
        let before = vault.opened.generation
        let planted = try await TestSessions.signIn(vault: vault)
        try await Self.eventually { vault.opened.generation != before }
        return planted
    }

    /// Loads the session until the load is one that may be trusted: a read that overlapped
    /// another test's announcement on the shared channel is (rightly) not.
    static func loadTrusted(_ vault: SessionVault, _ planted: TestSessions.Planted) async throws {
        for _ in 0..<50 {
            #expect(try await vault.load(planted.id) == planted.session)
            if vault.opened.trusted(at: SessionVault.redisKey(planted.id)) != nil { return }
        }
        Issue.record("no read of the session was trusted in 50 tries")
    }

    /// Puts other bytes under the session's key without announcing it: a read would see them.
    static func overwriteUnannounced(_ vault: SessionVault, id: String) async throws {
        try await vault.redis.command([Array("SET".utf8), Array(SessionVault.redisKey(id).utf8), Array("s1:garbage".utf8)])
    }

    @Test("a session read once is served from memory: Redis changed behind its back is not read again within the window")
    func servedFromMemory() async throws {
        try await Self.withSubscribedVault { vault in
            // Other tests announce on the same channel, and an announcement this vault cannot
            // read drops all trust: when that lands between the trusted read and the overwrite,
            // the round proves nothing and is run again.
            for _ in 0..<10 {
                let planted = try await Self.signIn(vault)
                try await Self.loadTrusted(vault, planted)
                try await Self.overwriteUnannounced(vault, id: planted.id)
                guard vault.opened.trusted(at: SessionVault.redisKey(planted.id)) != nil else { continue }
                #expect(try await vault.load(planted.id) == planted.session, "no read happened")
                #expect(try await vault.load(planted.id, fresh: true) == nil, "a fresh read sees what Redis holds")
                return
            }
            Issue.record("another test's announcements dropped the trust in 10 rounds out of 10")
        }
    }

    @Test("the API ending a session is heard at once: the next load reads Redis and finds it ended")
    func endedIsHeard() async throws {
        try await Self.withSubscribedVault { vault in
            let planted = try await Self.signIn(vault)
            try await Self.loadTrusted(vault, planted)
            try await SessionRevocation.mark(planted.session.apiSessionID, reason: "revoked", redis: vault.redis)
            try await Self.eventually { vault.opened.trusted(at: SessionVault.redisKey(planted.id)) == nil }
            #expect(try await vault.load(planted.id) == nil)
        }
    }

    @Test("another replica saving or deleting the session is heard: the next load reads Redis")
    func savedElsewhereIsHeard() async throws {
        try await Self.withSubscribedVault { vault in
            let planted = try await Self.signIn(vault)
            try await Self.loadTrusted(vault, planted)
            // The other replica: its own memory, the same Redis and channel.
            var other = try TestSessions.vault()
            other.opened = OpenedSessions()
            var renamed = planted.session
            renamed.identity.name = "Renamed elsewhere"
            try await other.save(renamed, id: planted.id)
            try await Self.eventually { vault.opened.trusted(at: SessionVault.redisKey(planted.id)) == nil }
            #expect(try await vault.load(planted.id)?.identity.name == "Renamed elsewhere")
            try await other.delete(planted.id)
            try await Self.eventually { vault.opened.trusted(at: SessionVault.redisKey(planted.id)) == nil }
            #expect(try await vault.load(planted.id) == nil)
        }
    }

    @Test("nothing is trusted without the subscription, past the window, or from a read that overlapped an announcement")
    func trustRules() {
        let opened = OpenedSessions()
        let session = GatewaySession(apiSessionID: UUID(), accessToken: "a", refreshToken: nil, idToken: "i", accessExpires: 0,
                                     identity: Identity(id: UUID(), subject: "s", name: nil, email: nil, role: .tenant, groups: [], authMethod: .token),
                                     createdAt: 0)
        let api = session.apiSessionID.uuidString.lowercased()
        opened.remember(session, at: "k", value: [1], apiSession: api, readAt: opened.generation, window: .seconds(30))
        #expect(opened.trusted(at: "k") == nil, "not subscribed")

        opened.subscription(up: true)
        opened.remember(session, at: "k", value: [1], apiSession: api, readAt: opened.generation, window: .seconds(30))
        #expect(opened.trusted(at: "k")?.session == session)
        #expect(opened.trusted(at: "k", now: .now + .seconds(31)) == nil, "past the window")

        let before = opened.generation
        opened.announced(Array("saved some-other-key".utf8))
        opened.remember(session, at: "k", value: [1], apiSession: api, readAt: before, window: .seconds(30))
        #expect(opened.trusted(at: "k") == nil, "an announcement came during the read")
        #expect(opened.session(at: "k", value: [1]) == session, "the unsealed copy is still reused")

        opened.remember(session, at: "k", value: [1], apiSession: api, readAt: opened.generation, window: .seconds(30))
        opened.announced(Array("ended \(api)".utf8))
        #expect(opened.trusted(at: "k") == nil, "ended by the API")

        opened.remember(session, at: "k", value: [1], apiSession: api, readAt: opened.generation, window: .seconds(30))
        opened.subscription(up: false)
        #expect(opened.trusted(at: "k") == nil, "the subscription dropped")
    }

    static func eventually(_ condition: () -> Bool) async throws {
        try await Command.waitUntil(.seconds(3), "the announcement to arrive") { condition() }
    }
}
