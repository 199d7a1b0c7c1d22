import Foundation
import Hummingbird
import HummingbirdTesting
import OrcastraModels
import OrcastraRuntime
import OrcastraTestSupport
import Testing

@testable import OrcastraAPI

/// `/health` against real PostgreSQL and Redis, including both going away and coming back
/// under the same running API.
@Suite("API health")
struct HealthTests {
    static func config(database: DatabaseURL, redis: RedisURL) -> APIConfig {
        APIConfig(service: ServiceConfig(serviceName: "orcastra-api", version: "test", redis: redis), database: database, secrets: .embedded(masterKey: testMasterKey), auth: .noIssuer, databaseStartupTimeout: .seconds(10))
    }

    func health(_ client: some TestClientProtocol, path: String = "/health") async throws -> (HTTPResponse.Status, HealthReport) {
        try await client.execute(uri: path, method: .get) { response async throws in
            (response.status, try JSONDecoder().decode(HealthReport.self, from: Data(buffer: response.body)))
        }
    }

    @Test("both dependencies up → 200 with a check each, on both paths")
    func healthy() async throws {
        let db = try await TestDatabase.create()
        defer { db.drop() }
        let app = try buildApplication(config: Self.config(database: db.url, redis: try TestEnvironment.redisURL()), sink: LogSink(.memory))
        try await app.test(.router) { client in
            for path in ["/health", "/api/v1/health"] {
                let (status, report) = try await self.health(client, path: path)
                #expect(status == .ok)
                #expect(report.status == .ok)
                #expect(report.version == "test")
                #expect(Set(report.checks.keys) == ["postgres", "redis"])
                #expect(report.checks.values.allSatisfy { $0.status == .ok && $0.latencyMs >= 0 })
            }
        }
    }

    @Test("Redis stopped → 503 naming redis; Redis started → 200 again, same process")
    func redisOutage() async throws {
        let db = try await TestDatabase.create()
        defer { db.drop() }
        let redis = try PrivateRedis()
        try await redis.start()
        let app = try buildApplication(config: Self.config(database: db.url, redis: redis.url), sink: LogSink(.memory))
        try await app.test(.router) { client in
            #expect(try await self.health(client).0 == .ok)
            redis.stop()
            let (status, report) = try await self.health(client)
            #expect(status == .serviceUnavailable)
            #expect(report.status == .error)
            #expect(report.checks["redis"]?.status == .error)
            #expect(report.checks["redis"]?.error?.isEmpty == false)
            #expect(report.checks["postgres"]?.status == .ok)
            try await redis.start()
            let (again, after) = try await self.health(client)
            #expect(again == .ok)
            #expect(after.checks["redis"]?.status == .ok)
        }
    }

    @Test("a sealed Vault degrades health (200, vault degraded) instead of failing it; unsealed, ok again")
    func vaultSealed() async throws {
        let db = try await TestDatabase.create()
        defer { db.drop() }
        let fake = FakeVault()
        let vaultApp = Application(router: fake.router(), configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await vaultApp.test(.live) { vaultClient in
            var config = Self.config(database: db.url, redis: try TestEnvironment.redisURL())
            config.secrets = .vault(address: "http://127.0.0.1:\(vaultClient.port!)", token: fake.token, pkiRole: "lxd")
            try await buildApplication(config: config, sink: LogSink(.memory)).test(.router) { client in
                let (okStatus, okReport) = try await self.health(client)
                #expect(okStatus == .ok)
                #expect(okReport.status == .ok)
                #expect(okReport.checks["vault"]?.status == .ok)
                fake.mode = .sealed
                let (status, report) = try await self.health(client)
                #expect(status == .ok)
                #expect(report.status == .degraded)
                #expect(report.checks["vault"]?.status == .degraded)
                #expect(report.checks["vault"]?.error == "vault is sealed")
                #expect(report.checks["postgres"]?.status == .ok)
                fake.mode = .active
                #expect(try await self.health(client).1.status == .ok)
            }
        }
    }

    @Test("PostgreSQL stopped → 503 naming postgres; started → 200 again, same process")
    func postgresOutage() async throws {
        let postgres = try await PrivatePostgres()
        try await postgres.start()
        let app = try buildApplication(config: Self.config(database: postgres.url, redis: try TestEnvironment.redisURL()), sink: LogSink(.memory))
        try await app.test(.router) { client in
            #expect(try await self.health(client).0 == .ok)
            try await postgres.stop()
            let (status, report) = try await self.health(client)
            #expect(status == .serviceUnavailable)
            #expect(report.checks["postgres"]?.status == .error)
            #expect(report.checks["redis"]?.status == .ok)
            try await postgres.start()
            // The pool reconnects on its own; allow it the time of one reconnect attempt.
            try await Command.waitUntil(.seconds(15), "health back to 200 after PostgreSQL restart") {
                try await self.health(client).0 == .ok
            }
        }
    }
}
