import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import OrcastraModels
import OrcastraRuntime
import OrcastraTestSupport
import Testing

@testable import OrcastraGateway

/// The gateway while its Redis (sessions, sign-in state) is down, then back: a real Redis
/// server of the test's own is stopped and started under a running gateway.
@Suite("Gateway with Redis down or restarted")
struct RedisOutageTests {
    /// Redis refuses connections at once, so nothing should take anywhere near this long.
    static let deadline: Duration = .seconds(5)

    @Test("Redis stopped: API calls answer 503 redis_unavailable as JSON, pages as HTML, within 5 s; Redis back: the same gateway answers normally")
    func redisStopped() async throws {
        let redis = try PrivateRedis()
        try await redis.start()
        try await withUpstream { apiURL in
            let gateway = try await OrcastraGateway.buildApplication(config: try gatewayConfig(apiURL: apiURL, redis: redis.url), sink: LogSink(.memory))
            try await gateway.test(.router) { client in
                // Well-formed (43 characters), so the gateway asks Redis for it.
                let cookie: HTTPFields = [.cookie: "orcastra_session=" + String(repeating: "a", count: 43), .accept: "text/html"]
                try await client.execute(uri: "/api/v1/me", method: .get, headers: cookie) { response in
                    #expect(response.status == .unauthorized, "with Redis up an unknown session is signed out")
                }
                redis.stop()
                let started = ContinuousClock.now
                try await client.execute(uri: "/api/v1/me", method: .get, headers: cookie) { response in
                    #expect(response.status == .serviceUnavailable)
                    #expect(response.headers[.retryAfter] == "5")
                    #expect(response.headers[.contentType]?.hasPrefix("application/json") == true)
                    let body = try JSONDecoder().decode(ErrorBody.self, from: Data(buffer: response.body))
                    #expect(body.error.code == "redis_unavailable")
                }
                for page in ["/", "/instances"] {
                    try await client.execute(uri: page, method: .get, headers: cookie) { response in
                        #expect(response.status == .serviceUnavailable, "\(page)")
                        #expect(response.headers[.contentType]?.hasPrefix("text/html") == true, "\(page)")
                        let html = String(buffer: response.body)
                        #expect(html.contains("Temporarily unavailable") && html.contains("Redis"), "\(page): \(html.prefix(200))")
                    }
                }
                // Sign-in fails first at the (unreachable) provider here; a page all the same.
                try await client.execute(uri: "/login", method: .get, headers: cookie) { response in
                    #expect(response.status.code >= 500)
                    #expect(response.headers[.contentType]?.hasPrefix("text/html") == true)
                }
                #expect(ContinuousClock.now - started < Self.deadline, "an outage answer took longer than \(Self.deadline)")
                try await redis.start()
                try await client.execute(uri: "/api/v1/me", method: .get, headers: cookie) { response in
                    #expect(response.status == .unauthorized, "Redis is back: the gateway answers as before, without a restart")
                }
                try await client.execute(uri: "/", method: .get, headers: cookie) { response in
                    #expect(response.status == .found)
                }
            }
        }
    }
    @Test("Redis restarted with the deployment's settings (redis.conf): a signed-in browser is still signed in, nobody has to sign in again")
    func restartKeepsSessions() async throws {
        let redis = try PrivateRedis(configured: true)
        try await redis.start()
        try await withUpstream { apiURL in
            let vault = SessionVault(redis: RedisClient(url: redis.url), key: GatewayKeys(secret: testGatewaySecret).sessionSealing)
            let planted = try await TestSessions.signIn(vault: vault)
            let gateway = try await OrcastraGateway.buildApplication(config: try gatewayConfig(apiURL: apiURL, redis: redis.url), sink: LogSink(.memory))
            try await gateway.test(.router) { client in
                let cookie: HTTPFields = [.cookie: planted.cookie]
                try await client.execute(uri: "/api/v1/download/0", method: .get, headers: cookie) { response in
                    #expect(response.status == .ok, "signed in before the restart")
                }
                redis.stop()
                try await redis.start()
                try await client.execute(uri: "/api/v1/download/0", method: .get, headers: cookie) { response in
                    #expect(response.status == .ok, "the session outlived the restart")
                }
                #expect(try await vault.load(planted.id)?.apiSessionID == planted.session.apiSessionID)
            }
        }
    }
}
