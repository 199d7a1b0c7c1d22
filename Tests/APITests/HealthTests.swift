import Foundation
import Hummingbird
import Logging
import PostgresNIO
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
    @Test("PostgreSQL stopped: API calls answer 503 database_unavailable within the 5 s wait, never hang; started: the same process answers again")
    func postgresOutageFailsFast() async throws {
        let postgres = try await PrivatePostgres()
        try await postgres.start()
        // Development sign-in (no provider): every call is the development admin.
        var config = Self.config(database: postgres.url, redis: try TestEnvironment.redisURL())
        config.auth = AuthSettings(token: nil)
        let app = try buildApplication(config: config, sink: LogSink(.memory))
        try await app.test(.router) { client in
            let clusters = { try await client.execute(uri: "/api/v1/clusters", method: .get) { ($0.status, $0.headers, Data(buffer: $0.body)) } }
            #expect(try await clusters().0 == .ok)
            try await postgres.stop()
            let started = ContinuousClock.now
            let (status, headers, body) = try await clusters()
            let took = ContinuousClock.now - started
            #expect(status == .serviceUnavailable)
            #expect(body.errorCode == "database_unavailable")
            #expect(headers[.retryAfter] == "5")
            #expect(took < PostgresClient.leaseLimit + .seconds(3), "took \(took)")
            try await postgres.start()
            try await Command.waitUntil(.seconds(20), "the cluster list answering again after PostgreSQL restarted") {
                try await clusters().0 == .ok
            }
        }
    }

    @Test("a transaction that cannot get a connection fails with DatabaseUnavailable after the wait and writes nothing")
    func transactionWaitIsBounded() async throws {
        let postgres = try await PrivatePostgres()
        try await postgres.start()
        let client = PostgresClient(configuration: postgres.url.clientConfiguration())
        try await client.whileRunning {
            try await client.boundedQuery("CREATE TABLE marks (n int)", logger: Logger(label: "test"))
            try await postgres.stop()
            let started = ContinuousClock.now
            await #expect(throws: DatabaseUnavailable.self) {
                try await client.transaction(logger: Logger(label: "test")) { connection in
                    try await connection.query("INSERT INTO marks VALUES (1)", logger: Logger(label: "test"))
                }
            }
            #expect(ContinuousClock.now - started < PostgresClient.leaseLimit + .seconds(3))
            try await postgres.start()
            try await Command.waitUntil(.seconds(20), "a connection again after PostgreSQL restarted") {
                (try? await client.boundedQuery("SELECT 1", logger: Logger(label: "test"))) != nil
            }
            let rows = try await client.boundedQuery("SELECT count(*) FROM marks", logger: Logger(label: "test")).decode(Int.self).all()
            #expect(rows == [0], "nothing was written")
        }
    }
}
