import AsyncHTTPClient
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import OrcastraModels
import OrcastraRuntime
import OrcastraTestSupport
import PostgresNIO
import ServiceLifecycle
import Synchronization

@testable import OrcastraAPI
@testable import OrcastraDevIdP
@testable import OrcastraGateway

/// The whole sign-in path in one process: the development identity provider, the API (on a
/// fresh database) and the gateway, each live on its own loopback port, configured as
/// `make run` configures them. Tests drive it with a `TestBrowser`.
struct SignInStack: Sendable {
    let idp: String
    let api: String
    let gateway: String
    /// Every gateway replica, `gateway` first; they share Redis and the API, as replicas behind
    /// a load balancer do.
    let gateways: [String]
    let db: TestDatabase
    let issuer: String

    static let clientID = "orcastra-test"
    static let clientSecret = "client-secret-for-tests-0123456789"
    static let proxySecret = "proxy-secret-for-tests-0123456789"
    static let users = [
        SeedUser(username: "admin", password: "admin-pw", name: "Ada Admin", email: "admin@example.test", groups: ["role_admin"]),
        SeedUser(username: "partner", password: "partner-pw", name: "Pat Partner", email: "partner@example.test", groups: ["role_partner"]),
        SeedUser(username: "tenant", password: "tenant-pw", name: "Tess Tenant", email: "tenant@example.test", groups: ["role_tenant"]),
    ]

    static func run(
        tokenStyle: TokenStyle.Settings = TokenStyle.Settings(), apiOpaque: OpaqueTokenSettings? = nil,
        accessTokenTTL: Duration = .seconds(3600), refreshSkew: Duration = .seconds(60), sink: LogSink = LogSink(.memory),
        apiKeys: JWKSCache.Policy = .init(refetchCooldown: .seconds(1)),
        sessionMaxAge: Duration = .seconds(12 * 3600), sessionIdle: Duration = .seconds(3600), rateLimit: RateLimitSettings? = nil,
        gatewayClientIP: ClientIPPolicy = ClientIPPolicy(), publicURL: String? = nil, replicas: Int = 1,
        _ body: @Sendable (SignInStack) async throws -> Void
    ) async throws {
        // Ports are chosen free before the servers bind them; in a parallel run something else
        // now and then takes one in between. Such a start is tried again on other ports, as
        // long as the test body has not run yet.
        let started = Mutex(false)
        for attempt in 1...3 {
            do {
                return try await self.start(
                    tokenStyle: tokenStyle, apiOpaque: apiOpaque, accessTokenTTL: accessTokenTTL, refreshSkew: refreshSkew, sink: sink,
                    apiKeys: apiKeys, sessionMaxAge: sessionMaxAge, sessionIdle: sessionIdle, rateLimit: rateLimit,
                    gatewayClientIP: gatewayClientIP, publicURL: publicURL, replicas: replicas
                ) { stack in
                    started.withLock { $0 = true }
                    try await body(stack)
                }
            } catch let error as IOError where error.errnoCode == EADDRINUSE && attempt < 3 && !started.withLock({ $0 }) {
                continue
            }
        }
    }

    private static func start(
        tokenStyle: TokenStyle.Settings, apiOpaque: OpaqueTokenSettings?, accessTokenTTL: Duration, refreshSkew: Duration, sink: LogSink,
        apiKeys: JWKSCache.Policy, sessionMaxAge: Duration, sessionIdle: Duration, rateLimit: RateLimitSettings?,
        gatewayClientIP: ClientIPPolicy, publicURL: String?, replicas: Int,
        _ body: @Sendable (SignInStack) async throws -> Void
    ) async throws {
        let idpPort = try Command.freePort(), apiPort = try Command.freePort(), gatewayPort = try Command.freePort()
        let replicaPorts = try (1..<max(replicas, 1)).map { _ in try Command.freePort() }
        let idp = "http://127.0.0.1:\(idpPort)", gateway = "http://127.0.0.1:\(gatewayPort)"
        let idpConfig = DevIdPConfig(
            client: OIDCClient(clientID: Self.clientID, clientSecret: Self.clientSecret,
                               redirectURIs: [(publicURL ?? gateway) + RelyingParty.callbackPath], postLogoutRedirectURIs: [(publicURL ?? gateway) + "/signin"]),
            users: Self.users,
            service: ServiceConfig(serviceName: "orcastra-devidp", httpHost: "127.0.0.1", httpPort: idpPort),
            publicURL: idp, slug: "orcastra", accessTokenTTL: accessTokenTTL, testControls: true, tokenStyle: tokenStyle)
        let issuer = idpConfig.issuer
        let db = try await TestDatabase.create()
        defer { db.drop() }
        let redis = try TestEnvironment.redisURL()
        try await withRunning(OrcastraDevIdP.buildApplication(config: idpConfig, sink: LogSink(.memory)), port: idpPort) {
            var apiConfig = APIConfig(
                service: ServiceConfig(serviceName: "orcastra-api", version: "test", httpHost: "127.0.0.1", httpPort: apiPort, redis: redis), database: db.url,
                secrets: .embedded(masterKey: String(repeating: "k", count: 40)),
                auth: AuthSettings(token: .init(issuer: issuer, audience: Self.clientID), jwks: apiKeys, opaque: apiOpaque, proxySecret: Self.proxySecret))
            apiConfig.rateLimit = rateLimit
            try await withRunning(OrcastraAPI.buildApplication(config: apiConfig, sink: sink), port: apiPort) {
                let api = "http://127.0.0.1:\(apiPort)"
                let auth = GatewayAuthSettings(issuer: issuer, clientID: Self.clientID, clientSecret: Self.clientSecret, secret: testGatewaySecret,
                                               proxySecret: Self.proxySecret, refreshSkew: refreshSkew,
                                               sessionMaxAge: sessionMaxAge, sessionIdle: sessionIdle)
                @Sendable func config(port: Int) throws -> GatewayConfig {
                    var service = ServiceConfig(serviceName: "orcastra-gateway", version: "test", httpHost: "127.0.0.1", httpPort: port, redis: redis)
                    service.clientIP = gatewayClientIP
                    return try GatewayConfig(service: service, apiURL: api, publicURL: publicURL ?? gateway, auth: auth)
                }
                /// Starts the gateways one inside the other, then runs the body.
                @Sendable func withGateways(_ ports: ArraySlice<Int>) async throws {
                    guard let port = ports.first else {
                        let all = [gateway] + replicaPorts.map { "http://127.0.0.1:\($0)" }
                        return try await body(SignInStack(idp: idp, api: api, gateway: gateway, gateways: all, db: db, issuer: issuer))
                    }
                    try await withRunning(try await OrcastraGateway.buildApplication(config: try config(port: port), sink: LogSink(.memory)), port: port) {
                        try await withGateways(ports.dropFirst())
                    }
                }
                try await withGateways(ArraySlice([gatewayPort] + replicaPorts))
            }
        }
    }

    /// Runs `app` as a service on its configured port (HummingbirdTesting's `.live` would pick
    /// a port of its own, but the provider's redirect URIs must name the gateway's in advance).
    ///
    /// Whether the body returns or throws, the service is shut down gracefully and awaited
    /// before `withRunning` ends. Throwing straight out of the task group would cancel the
    /// service mid-shutdown instead: a server cancelled while it accepts a connection traps
    /// (NIO: "Deinited NIOAsyncWriter without calling finish()"), or its shutdown never ends,
    /// which stalled parallel test runs after a test had failed.
    static func withRunning(_ app: some ApplicationProtocol, port: Int, _ body: @Sendable () async throws -> Void) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            let services = ServiceGroup(configuration: .init(services: [app], logger: Logger(label: "test-services")))
            group.addTask { try await services.run() }
            var failure: (any Error)?
            do {
                try await Command.waitUntil(.seconds(30), "a service listening on \(port)") { Command.isListening(port) }
                try await body()
            } catch {
                failure = error
            }
            await services.triggerGracefulShutdown()
            do {
                try await group.waitForAll()
            } catch where failure == nil {
                throw error
            }
            if let failure { throw failure }
        }
    }

    /// Signs in through the provider's form; answers every page of the way (the last is where the
    /// browser lands).
    @discardableResult
    func signIn(_ browser: TestBrowser, as username: String, password: String? = nil, returnTo: String? = nil) async throws -> [TestBrowser.Page] {
        let start = self.gateway + "/login" + (returnTo.map { "?return_to=" + $0 } ?? "")
        let toForm = try await browser.follow(.GET, start)
        guard let form = toForm.last, form.status == 200, form.body.contains("name=\"password\"") else {
            throw BrowserError("no sign-in form after \(toForm.map { "\($0.status) \($0.url)" })")
        }
        let pw = password ?? Self.users.first { $0.username == username }?.password ?? ""
        return toForm + (try await browser.submitForm(on: form, fields: ["username": username, "password": pw]))
    }

    /// Audit actions recorded so far, oldest first.
    func auditActions() async throws -> [String] {
        try await self.sql { pg in try await pg.query("SELECT action FROM audit_events ORDER BY seq").decode(String.self).all() }
    }

    func sql<R: Sendable>(_ body: @Sendable (PostgresClient) async throws -> R) async throws -> R {
        let client = PostgresClient(configuration: self.db.url.clientConfiguration())
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            return try await body(client)
        }
    }

    /// The gateway cookie jar key of this stack's gateway.
    var gatewayHost: String { "127.0.0.1:" + (self.gateway.split(separator: ":").last.map(String.init) ?? "") }
}
