import Foundation
import OrcastraRuntime
import OrcastraTestSupport
import ServiceLifecycle
import Testing

/// The Redis client against real Redis servers: the project's (with its password) and
/// private ones the tests stop and restart.
@Suite("Redis client")
struct RedisClientTests {
    /// Runs `body` with a client whose `run()` is active, as in an application.
    func withClient<R: Sendable>(_ url: RedisURL, maxConnections: Int = 4, _ body: (RedisClient) async throws -> R) async throws -> R {
        let client = RedisClient(url: url, timeout: .seconds(2), maxConnections: maxConnections)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await client.run() }
            defer { group.cancelAll() }
            return try await body(client)
        }
    }

    @Test("commands round-trip against the project's Redis, password and database included")
    func roundTrip() async throws {
        let url = try TestEnvironment.redisURL()
        try await self.withClient(url) { redis async throws in
            let key = "test:\(UUID().uuidString)"
            #expect(try await redis.command("SET", key, "value", "EX", "30") == .status("OK"))
            #expect(try await redis.command("GET", key).string == "value")
            #expect(try await redis.command("INCR", key + ":n") == .integer(1))
            #expect(try await redis.command("GET", key + ":missing") == .null)
            let binary: [UInt8] = [0, 1, 2, 255, 13, 10]
            _ = try await redis.command([Array("SET".utf8), Array((key + ":b").utf8), binary])
            #expect(try await redis.command("GET", key + ":b") == .bulk(binary))
            #expect(try await redis.command("MGET", key, key + ":missing") == .array([.bulk(Array("value".utf8)), .null]))
            _ = try await redis.command("DEL", key, key + ":n", key + ":b")
        }
    }

    @Test("an error reply is a server error and the connection stays usable")
    func errorReply() async throws {
        try await self.withClient(try TestEnvironment.redisURL(), maxConnections: 1) { redis async throws in
            await #expect(throws: RedisError.self) { try await redis.command("NOSUCHCOMMAND") }
            #expect(try await redis.command("PING") == .status("PONG"))
        }
    }

    @Test("a wrong password is refused with Redis' own message")
    func wrongPassword() async throws {
        var url = try TestEnvironment.redisURL()
        url.password = "wrong-password"
        try await self.withClient(url) { redis async throws in
            do {
                try await redis.command("PING")
                Issue.record("PING with a wrong password succeeded")
            } catch let error as RedisError {
                #expect(error.description.contains("WRONGPASS") || error.description.contains("invalid"))
            }
        }
    }

    @Test("many concurrent commands share a small pool")
    func concurrency() async throws {
        try await self.withClient(try TestEnvironment.redisURL(), maxConnections: 3) { redis async throws in
            let key = "test:counter:\(UUID().uuidString)"
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<200 { group.addTask { _ = try await redis.command("INCR", key) } }
                try await group.waitForAll()
            }
            #expect(try await redis.command("GET", key).string == "200")
            _ = try await redis.command("DEL", key)
        }
    }

    @Test("an unreachable Redis is a connection error naming the address")
    func unreachable() async throws {
        let port = try Command.freePort()
        try await self.withClient(RedisURL(host: "127.0.0.1", port: port)) { redis async throws in
            do {
                try await redis.command("PING")
                Issue.record("PING to a closed port succeeded")
            } catch RedisError.connection(let message) {
                #expect(message.contains("127.0.0.1:\(port)"))
            }
        }
    }

    @Test("after Redis restarts, the next command succeeds without a client restart")
    func reconnect() async throws {
        let server = try PrivateRedis()
        try await server.start()
        try await self.withClient(server.url) { redis async throws in
            #expect(try await redis.command("SET", "k", "1") == .status("OK"))
            server.stop()
            await #expect(throws: RedisError.self) { try await redis.command("GET", "k") }
            try await server.start()
            #expect(try await redis.command("PING") == .status("PONG"))
            #expect(try await redis.command("GET", "k") == .null)
        }
    }
}

/// The pipelined client under load: hundreds of callers sharing a few connections, the
/// connections dropped under them, a Redis that stops answering, and shutdown while callers
/// wait. A stall fails the test with a message (`RedisPoolStressTests.finishes`) instead of
/// hanging the run. One at a time: together they would load a parallel test run enough to
/// make other suites' HTTP calls miss their deadlines.
@Suite("Redis client, pipelined", .serialized)
struct RedisPipelineTests {
    @Test("256 concurrent callers × 40 commands on 3 connections: every reply is the caller's own, none stalls")
    func manyCallers() async throws {
        let prefix = "test:pipeline:\(UUID().uuidString):"
        try await RedisPoolStressTests.withClient(try TestEnvironment.redisURL(), maxConnections: 3) { redis, _ in
            let wrong = Counter()
            let ended = try await RedisPoolStressTests.finishes(within: .seconds(90)) {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for caller in 0..<256 {
                        group.addTask {
                            let key = prefix + String(caller)
                            for round in 1...20 {
                                if try await redis.command("INCR", key) != .integer(Int64(round)) { wrong.add() }
                                if try await redis.command("GET", key).string != String(round) { wrong.add() }
                            }
                        }
                    }
                    try await group.waitForAll()
                }
            }
            #expect(ended, "256 callers did not finish within 90 s: a caller was never answered")
            #expect(wrong.value == 0, "\(wrong.value) replies went to the wrong caller")
            _ = try await redis.command(strings: ["DEL"] + (0..<256).map { prefix + String($0) })
        }
    }

    @Test("connections killed and Redis restarted while 256 callers are in flight: each gets an answer or an error")
    func droppedMidFlight() async throws {
        let server = try PrivateRedis()
        try await server.start()
        defer { server.stop() }
        let outcomes = CallOutcomes()
        try await RedisPoolStressTests.withClient(server.url, maxConnections: 4) { redis, _ in
            let killer = RedisClient(url: server.url, timeout: .seconds(3), maxConnections: 1)
            let ended = try await RedisPoolStressTests.finishes(within: .seconds(60)) {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for caller in 0..<256 {
                        group.addTask {
                            for _ in 0..<30 {
                                try await outcomes.record {
                                    _ = try await redis.command("INCR", "counter")
                                    _ = try await redis.command("GET", "k\(caller)")
                                }
                            }
                        }
                    }
                    // Kills every client connection a few times while callers are writing,
                    // then restarts the server under them.
                    for _ in 0..<4 {
                        try await Task.sleep(for: .milliseconds(30))
                        await CallOutcomes.killConnections(using: killer)
                    }
                    try await Task.sleep(for: .milliseconds(30))
                    server.stop()
                    try await server.start()
                    try await group.waitForAll()
                }
            }
            #expect(ended, "callers hung after their connections were dropped")
            #expect(outcomes.total == 256 * 30)
            #expect(outcomes.answered.value > 0)
            #expect(try await redis.command("PING") == .status("PONG"), "the client did not recover")
        }
    }

    @Test("an INCR that met a killed connection is never run twice: a retry only follows a command that was not sent")
    func noDoubleRun() async throws {
        let server = try PrivateRedis()
        try await server.start()
        defer { server.stop() }
        let outcomes = CallOutcomes()
        try await RedisPoolStressTests.withClient(server.url, maxConnections: 2) { redis, _ in
            let killer = RedisClient(url: server.url, timeout: .seconds(3), maxConnections: 1)
            let ended = try await RedisPoolStressTests.finishes(within: .seconds(60)) {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for _ in 0..<128 {
                        group.addTask {
                            for _ in 0..<20 {
                                try await outcomes.record { _ = try await redis.command("INCR", "n") }
                            }
                        }
                    }
                    for _ in 0..<5 {
                        try await Task.sleep(for: .milliseconds(20))
                        await CallOutcomes.killConnections(using: killer)
                    }
                    try await group.waitForAll()
                }
            }
            #expect(ended, "callers hung after their connections were killed")
            let runs = try #require(try await redis.command("GET", "n").int)
            // Every answered INCR ran; a failed one may or may not have; none ran twice.
            #expect(runs >= Int64(outcomes.answered.value))
            #expect(runs <= Int64(outcomes.total), "an INCR ran more often than it was called")
        }
    }

    @Test("a Redis that stops answering: the command fails after the timeout, the connection is dropped, the next one works")
    func timeout() async throws {
        let server = try PrivateRedis()
        try await server.start()
        defer { server.stop() }
        let redis = RedisClient(url: server.url, timeout: .milliseconds(500), maxConnections: 1)
        #expect(try await redis.command("SET", "k", "v") == .status("OK"))
        server.pause()
        let started = ContinuousClock.now
        do {
            _ = try await redis.command("GET", "k")
            Issue.record("GET on a paused Redis succeeded")
        } catch RedisError.connection(let message) {
            #expect(message.contains("timeout"), "unclear timeout error: \(message)")
        }
        #expect(ContinuousClock.now - started < .seconds(3))
        server.resume()
        #expect(try await redis.command("GET", "k") == .bulk(Array("v".utf8)), "no fresh connection after the timeout")
    }

    @Test("shutdown while callers wait for a connection being opened, or for replies: all fail as closed at once", arguments: [0, 1])
    func shutdownWhileWaiting(database: Int) async throws {
        let server = try PrivateRedis()
        try await server.start()
        defer { server.stop() }
        var url = server.url
        url.database = database
        // A long timeout: only shutdown can end these calls quickly.
        let redis = RedisClient(url: url, timeout: .seconds(30), maxConnections: 2)
        let runner = Task { try await redis.run() }
        if database == 0 {
            // Connections open and then Redis freezes: the commands are written, and wait for
            // replies. With database 1, the SELECT of the first connection waits instead, and
            // the callers queue for that connection.
            #expect(try await redis.command("PING") == .status("PONG"))
        }
        server.pause()
        let closed = Counter()
        let ended = try await RedisPoolStressTests.finishes(within: .seconds(5)) {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<64 {
                    group.addTask {
                        do { _ = try await redis.command("GET", "k") } catch RedisError.closed { closed.add() }
                    }
                }
                try await Task.sleep(for: .milliseconds(300))
                runner.cancel()
                try await group.waitForAll()
            }
        }
        #expect(ended, "callers still waiting 5 s after shutdown")
        #expect(closed.value == 64)
        await #expect(throws: RedisError.closed) { try await redis.command("PING") }
        server.resume()
    }
}
