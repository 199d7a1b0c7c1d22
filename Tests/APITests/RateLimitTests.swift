import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import OrcastraModels
import OrcastraRuntime
import OrcastraTestSupport
import Testing

@testable import OrcastraAPI

/// Security rule 19 (Services/README.md) against real Redis: 429 with Retry-After per address and per subnet,
/// every counter with a TTL, health never limited.
@Suite("Rate limits (security rule 19)")
struct RateLimitTests {
    /// An API trusting loopback as its proxy, so tests can speak for any client address.
    static func run(requests: Int, subnetRequests: Int, _ body: @Sendable (any TestClientProtocol, String) async throws -> Void) async throws {
        let db = try await TestDatabase.create()
        defer { db.drop() }
        let prefix = "orcastra-test:ratelimit:\(UUID().uuidString):"
        var service = ServiceConfig(serviceName: "orcastra-api", version: "test", redis: try TestEnvironment.redisURL())
        service.clientIP = ClientIPPolicy(trustedProxies: [CIDR("127.0.0.1/32")!, CIDR("::1/128")!])
        var config = APIConfig(service: service, database: db.url, secrets: .embedded(masterKey: testMasterKey), auth: .noIssuer)
        config.rateLimit = RateLimitSettings(requests: requests, subnetRequests: subnetRequests, window: .seconds(60), keyPrefix: prefix)
        try await buildApplication(config: config, sink: LogSink(.memory)).test(.live) { client in try await body(client, prefix) }
    }

    static func get(_ client: some TestClientProtocol, from ip: String, path: String = "/api/v1/openapi.json") async throws -> (HTTPResponse.Status, String?, Data) {
        try await client.execute(uri: path, method: .get, headers: [HTTPField.Name("X-Forwarded-For")!: ip]) { response async throws in
            (response.status, response.headers[.retryAfter], Data(buffer: response.body))
        }
    }

    @Test("the request past the per-address limit gets 429 rate_limited with Retry-After; another address is unaffected")
    func perAddress() async throws {
        try await Self.run(requests: 3, subnetRequests: 100) { client, _ async throws in
            for _ in 0..<3 { #expect(try await Self.get(client, from: "198.51.100.7").0 == .ok) }
            let (status, retryAfter, body) = try await Self.get(client, from: "198.51.100.7")
            #expect(status == .tooManyRequests)
            #expect(body.errorCode == "rate_limited")
            let seconds = try #require(retryAfter.flatMap { Int($0) })
            #expect((1...60).contains(seconds))
            #expect(try await Self.get(client, from: "203.0.113.8").0 == .ok)
            // Also before authentication: a flood of bad credentials is limited the same way.
            #expect(try await Self.get(client, from: "198.51.100.7", path: "/api/v1/me").0 == .tooManyRequests)
        }
    }

    @Test("addresses of one /24 (IPv4) or /64 (IPv6) share the subnet limit")
    func perSubnet() async throws {
        try await Self.run(requests: 100, subnetRequests: 4) { client, _ async throws in
            for host in 1...4 { #expect(try await Self.get(client, from: "192.0.2.\(host)").0 == .ok) }
            #expect(try await Self.get(client, from: "192.0.2.200").0 == .tooManyRequests)
            #expect(try await Self.get(client, from: "192.0.3.1").0 == .ok)
            for host in 1...4 { #expect(try await Self.get(client, from: "2001:db8:1:2::\(host)").0 == .ok) }
            #expect(try await Self.get(client, from: "2001:db8:1:2:ffff::1").0 == .tooManyRequests)
            #expect(try await Self.get(client, from: "2001:db8:1:3::1").0 == .ok)
        }
    }

    @Test("every counter key carries a TTL within the window; health is never limited")
    func countersExpire() async throws {
        try await Self.run(requests: 1, subnetRequests: 1) { client, prefix async throws in
            _ = try await Self.get(client, from: "198.51.100.9")
            let redis = RedisClient(url: try TestEnvironment.redisURL())
            guard case .array(let keys) = try await redis.command("KEYS", prefix + "*") else { Issue.record("KEYS failed"); return }
            #expect(keys.count == 2)
            for key in keys.compactMap(\.string) {
                let ttl = try #require(try await redis.command("PTTL", key).int)
                #expect(ttl > 0 && ttl <= 60_000, "\(key) has TTL \(ttl)")
            }
            for _ in 0..<3 { #expect(try await Self.get(client, from: "198.51.100.9", path: "/health").0 != .tooManyRequests) }
        }
    }

    @Test("RATE_LIMIT_* default to 100 per address, 300 per subnet, 60 s; RATE_LIMIT_ENABLED=false turns it off")
    func configuration() throws {
        let base = APIConfigTests.withKey
        let defaults = try #require(try APIConfig(settings: .testing(base)).rateLimit)
        #expect(defaults.requests == 100)
        #expect(defaults.subnetRequests == 300)
        #expect(defaults.window == .seconds(60))
        #expect(try APIConfig(settings: .testing(base.merging(["RATE_LIMIT_ENABLED": "false"]) { $1 })).rateLimit == nil)
    }
}
