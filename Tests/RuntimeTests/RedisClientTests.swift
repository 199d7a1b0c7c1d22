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

