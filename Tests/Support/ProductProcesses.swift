import Foundation
import OrcastraRuntime

/// The three binaries `make run` starts — orcastra-devidp, orcastra-api, orcastra-gateway —
/// as real processes on free ports, configured through one `.env` file as an operator would.
public final class ProductProcesses: @unchecked Sendable {
    public let idp: ServiceProcess
    public let api: ServiceProcess
    public let gateway: ServiceProcess
    /// The throw-away database made for this product, unless one was handed in.
    public let db: TestDatabase?
    let scratch: URL

    public static let users: [(username: String, password: String, role: String)] = [
        ("admin", "admin-\(UUID().uuidString.prefix(8))", "Admin"),
        ("partner", "partner-\(UUID().uuidString.prefix(8))", "Partner"),
        ("tenant", "tenant-\(UUID().uuidString.prefix(8))", "Tenant"),
    ]

    public var gatewayURL: String { "http://127.0.0.1:\(self.gateway.port)" }
    public var apiURL: String { "http://127.0.0.1:\(self.api.port)" }
    public var idpURL: String { "http://127.0.0.1:\(self.idp.port)" }

    /// Starts all three and waits until each is healthy: on `database` and `redis` when given
    /// (servers of the test's own, which it may stop), else on a throw-away database of the
    /// project's PostgreSQL and on the project's Redis.
    public init(database: DatabaseURL? = nil, redis: RedisURL? = nil, extraEnvironment: [String: String] = [:]) async throws {
        self.db = database == nil ? try await TestDatabase.create() : nil
        guard let db = database ?? self.db?.url else { throw MissingService("no database for the product") }
        let redis = try redis ?? TestEnvironment.redisURL()
        let redisURL = "redis://" + (redis.password.map { ":\($0)@" } ?? "") + "\(redis.host):\(redis.port)/\(redis.database)"
        self.scratch = FileManager.default.temporaryDirectory.appendingPathComponent("orc-product-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: self.scratch, withIntermediateDirectories: true)
        let seed = self.scratch.appendingPathComponent("users.json")
        let seedUsers = Self.users.map { #"{"username":"\#($0.username)","password":"\#($0.password)","name":"\#($0.role) User","email":"\#($0.username)@example.test","groups":["role_\#($0.username)"]}"# }
        try #"{"users":[\#(seedUsers.joined(separator: ","))]}"#.write(to: seed, atomically: true, encoding: .utf8)

        let idpPort = try Command.freePort(), apiPort = try Command.freePort(), gatewayPort = try Command.freePort()
        let gateway = "http://127.0.0.1:\(gatewayPort)", idp = "http://127.0.0.1:\(idpPort)"
        let database = "postgresql://\(db.user):\(db.password ?? "")@\(db.host):\(db.port)/\(db.database)"
        let env = """
            DATABASE_URL=\(database)
            REDIS_URL=\(redisURL)
            APP_VERSION=7.7.7
            TRUSTED_PROXY_CIDRS=127.0.0.1/32
            SECRET_KEY=integration-test-secret-key-0123456789
            NEXTAUTH_URL=\(gateway)
            NEXTAUTH_SECRET=integration-test-nextauth-secret-0123456789
            INTERNAL_BACKEND_URL=http://127.0.0.1:\(apiPort)
            AUTHENTIK_ISSUER=\(idp)/application/o/orcastra/
            AUTHENTIK_CLIENT_ID=orcastra
            AUTHENTIK_CLIENT_SECRET=integration-client-secret
            AUTH_PROXY_SECRET=integration-proxy-secret
            DEVIDP_PORT=\(idpPort)
            DEVIDP_PUBLIC_URL=\(idp)
            DEVIDP_CLIENT_ID=orcastra
            DEVIDP_CLIENT_SECRET=integration-client-secret
            DEVIDP_REDIRECT_URIS=\(gateway)/api/auth/callback/authentik
            DEVIDP_POST_LOGOUT_REDIRECT_URIS=\(gateway)/signin
            DEVIDP_SEED_FILE=\(seed.path)

            """
        let envFile = self.scratch.appendingPathComponent(".env")
        try env.write(to: envFile, atomically: true, encoding: .utf8)
        var common = ["ENV_FILE": envFile.path]
        common.merge(extraEnvironment) { $1 }
        self.idp = try ServiceProcess("orcastra-devidp", port: idpPort, environment: common)
        self.api = try ServiceProcess("orcastra-api", port: apiPort, environment: common)
        self.gateway = try ServiceProcess("orcastra-gateway", port: gatewayPort, environment: common)
        for service in [self.idp, self.api, self.gateway] { try await service.waitHealthy() }
    }

    /// Signs in through the provider's form with a scripted browser; answers the landing page.
    public func signIn(_ browser: TestBrowser, as username: String) async throws -> TestBrowser.Page {
        let toForm = try await browser.follow(.GET, self.gatewayURL + "/login")
        guard let form = toForm.last, form.body.contains("name=\"password\"") else { throw BrowserError("no sign-in form") }
        let password = Self.users.first { $0.username == username }?.password ?? ""
        let pages = try await browser.submitForm(on: form, fields: ["username": username, "password": password])
        guard let last = pages.last else { throw BrowserError("no page after sign-in") }
        return last
    }

    /// Stops all three (SIGTERM) and answers their exit statuses, gateway first.
    @discardableResult
    public func stop() -> [Int32] {
        let statuses = [self.gateway.terminate(), self.api.terminate(), self.idp.terminate()]
        self.db?.drop()
        try? FileManager.default.removeItem(at: self.scratch)
        return statuses
    }
}
