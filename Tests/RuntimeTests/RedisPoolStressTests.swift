import Foundation
import OrcastraRuntime
import OrcastraTestSupport
import Synchronization
import Testing

/// The client under the loads that once lost a wake-up in its earlier pool of one caller per
/// connection (a waiter enqueued just after the last connection came back slept forever):
/// bursts far larger than the pool, connections killed mid-flight, and shutdown with callers
/// waiting. Each must end within its deadline; a stall is a failure here, not a hung test run.
@Suite("Redis pool under stress", .serialized)
struct RedisPoolStressTests {
    /// Whether `body` finishes within `limit`. A stalled body is left suspended (its waiters
    /// cannot be cancelled) so that the test can fail instead of hanging; its error, if it
    /// finished with one, is rethrown.
    static func finishes(within limit: Duration, _ body: @escaping @Sendable () async throws -> Void) async throws -> Bool {
        let (outcome, report) = AsyncStream<Bool>.makeStream()
        let work = Task {
            defer { report.yield(true) }
            try await body()
        }
        let timer = Task {
            try? await Task.sleep(for: limit)
            report.yield(false)
        }
        var first = outcome.makeAsyncIterator()
        let finished = await first.next() ?? false
        timer.cancel()
        if finished { try await work.value }
        return finished
    }

    /// A client whose `run()` is live until `body` returns; `stop` ends it as shutdown would.
    static func withClient<R: Sendable>(_ url: RedisURL, maxConnections: Int,
                                        _ body: (RedisClient, _ stop: @escaping @Sendable () -> Void) async throws -> R) async throws -> R {
        let client = RedisClient(url: url, timeout: .seconds(3), maxConnections: maxConnections)
        let runner = Task { try await client.run() }
        defer { runner.cancel() }
        return try await body(client) { runner.cancel() }
    }

    @Test("2,000 rounds of two callers on a pool of one, on a busy machine: no caller waits forever")
    func noLostWakeUp() async throws {
        let key = "test:stress:\(UUID().uuidString)"
        // Threads that only burn CPU, so the scheduler preempts callers between any two steps,
        // as a parallel test run or a loaded server does. Two callers on one connection is the
        // shape of the lost wake-up: the second decides to wait, the first gives the connection
        // back before the second has queued, and nobody comes after them to pass it on.
        let busy = BusyThreads(count: 4)
        defer { busy.stop() }
        try await Self.withClient(try TestEnvironment.redisURL(), maxConnections: 1) { redis, _ in
            let ended = try await Self.finishes(within: .seconds(120)) {
                for _ in 1...2000 {
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        group.addTask { _ = try await redis.command("INCR", key) }
                        // The second arrives at a varying moment, sometimes just as the first
                        // gives the connection back.
                        group.addTask {
                            await Task.yield()
                            var spin = 0
                            for _ in 0..<Int.random(in: 0...40_000) { spin &+= 1 }
                            _ = spin
                            _ = try await redis.command("INCR", key)
                        }
                        try await group.waitForAll()
                    }
                }
            }
            #expect(ended, "a round stalled: a caller was never woken")
            guard ended else { return }
            #expect(try await redis.command("GET", key).string == "4000")
            _ = try await redis.command("DEL", key)
        }
    }

    @Test("connections killed mid-flight: every call answers or fails, none hangs, and the pool recovers")
    func killedConnections() async throws {
        let server = try PrivateRedis()
        try await server.start()
        let outcomes = CallOutcomes()
        try await Self.withClient(server.url, maxConnections: 4) { redis, _ in
            let killer = RedisClient(url: server.url, timeout: .seconds(3), maxConnections: 1)
            let ended = try await Self.finishes(within: .seconds(30)) {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for i in 0..<400 {
                        group.addTask {
                            try await outcomes.record { _ = try await redis.command("INCR", "k") }
                            if i % 100 == 50 { await CallOutcomes.killConnections(using: killer) }
                        }
                    }
                    try await group.waitForAll()
                }
            }
            #expect(ended, "calls hung after their connections were killed")
            #expect(outcomes.total == 400)
            #expect(outcomes.answered.value > 0)
            #expect(try await redis.command("PING") == .status("PONG"), "the pool did not recover")
        }
        server.stop()
    }

    @Test("shutdown with commands pipelined behind a blocking one: all fail as closed at once")
    func shutdownWithWaiters() async throws {
        let empty = "test:empty:\(UUID().uuidString)"
        try await Self.withClient(try TestEnvironment.redisURL(), maxConnections: 1) { redis, stop in
            let closed = Counter()
            let ended = try await Self.finishes(within: .seconds(15)) {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    // Blocks the only connection for 2 s; the PINGs are written behind it and
                    // wait for their replies. Shutdown closes the connection: every one of them,
                    // the BLPOP included, is failed as closed without waiting for Redis.
                    group.addTask {
                        do { _ = try await redis.command("BLPOP", empty, "2") } catch RedisError.closed { closed.add() }
                    }
                    try await Task.sleep(for: .milliseconds(200))
                    for _ in 0..<20 {
                        group.addTask {
                            do { _ = try await redis.command("PING") } catch RedisError.closed { closed.add() }
                        }
                    }
                    try await Task.sleep(for: .milliseconds(200))
                    let stopped = ContinuousClock.now
                    stop()
                    try await group.waitForAll()
                    #expect(ContinuousClock.now - stopped < .seconds(2), "callers waited for Redis after shutdown")
                }
            }
            #expect(ended, "callers queued at shutdown were never answered")
            #expect(closed.value == 21)
            await #expect(throws: RedisError.self) { try await redis.command("PING") }
        }
    }
}

/// Calls made while their connections are being killed: each is answered, or fails with a
/// `RedisError`; any other error is the test's to throw.
final class CallOutcomes: Sendable {
    let answered = Counter()
    let failed = Counter()

    func record(_ call: () async throws -> Void) async throws {
        do {
            try await call()
            self.answered.add()
        } catch is RedisError {
            self.failed.add()
        }
    }

    var total: Int { self.answered.value + self.failed.value }

    /// Kills every client connection of `killer`'s server but its own (`CLIENT KILL`).
    static func killConnections(using killer: RedisClient) async {
        _ = try? await killer.command("CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes")
    }
}

/// A count that concurrent tasks add to.
final class Counter: Sendable {
    private let count = Atomic<Int>(0)
    func add() { self.count.add(1, ordering: .relaxed) }
    var value: Int { self.count.load(ordering: .relaxed) }
}

/// Threads spinning until stopped: load that makes preemption between two statements likely.
final class BusyThreads: Sendable {
    private let running = Atomic<Bool>(true)

    init(count: Int) {
        for _ in 0..<count {
            Thread { [self] in
                var x = 0
                while self.running.load(ordering: .relaxed) { x &+= 1 }
                _ = x
            }.start()
        }
    }

    func stop() { self.running.store(false, ordering: .relaxed) }
}
