import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import OrcastraModels
import OrcastraRuntime
import OrcastraTestSupport

@testable import OrcastraGateway

/// The `NEXTAUTH_SECRET` of gateways built here; tests that plant sessions use the same one.
let testGatewaySecret = "test-nextauth-secret-0123456789abcdef0123"

/// An issuer nobody answers at: for gateway tests that never sign in through a provider.
let unreachableIssuer = "http://127.0.0.1:1/application/o/none/"

func gatewayConfig(apiURL: String, issuer: String = unreachableIssuer, clientSecret: String = "gateway-test-secret",
                   publicURL: String = "http://localhost:4321", proxySecret: String? = nil, refreshSkew: Duration = .seconds(60),
                   redis: RedisURL? = nil) throws -> GatewayConfig {
    var service = ServiceConfig(serviceName: "orcastra-gateway", version: "test", redis: try redis ?? TestEnvironment.redisURL())
    service.maxBodyBytes = 1 << 20
    let auth = GatewayAuthSettings(issuer: issuer, clientID: "orcastra-test", clientSecret: clientSecret, secret: testGatewaySecret,
                                   proxySecret: proxySecret, refreshSkew: refreshSkew)
    return try GatewayConfig(service: service, apiURL: apiURL, publicURL: publicURL, auth: auth)
}

/// Builds the real gateway pointed at `apiURL`.
func makeGateway(apiURL: String, sink: LogSink = LogSink(.memory)) async throws -> some ApplicationProtocol {
    try await OrcastraGateway.buildApplication(config: try gatewayConfig(apiURL: apiURL), sink: sink)
}

/// Runs a live stand-in API and gives `body` its base URL.
func withUpstream<R: Sendable>(_ body: @Sendable (String) async throws -> R) async throws -> R {
    let upstream = Application(router: TestUpstream.router(), configuration: .init(address: .hostname("127.0.0.1", port: 0)))
    return try await upstream.test(.live) { client in
        try await body("http://127.0.0.1:\(client.port!)")
    }
}

/// Sessions planted in Redis the way the callback stores them, for tests of what a signed-in
/// browser gets without going through a provider.
enum TestSessions {
    struct Planted: Sendable {
        /// `orcastra_session=<id>`, ready for a `Cookie` header.
        let cookie: String
        let id: String
        let session: GatewaySession
    }

    /// A running gateway serves a session from memory until its change is announced on Redis
    /// (`SessionAnnouncements`), which reaches it within a millisecond or so; a test that
    /// changes a session behind a running gateway's back gives the announcement this long.
    static func letGatewaysHear() async throws {
        try await Task.sleep(for: .milliseconds(200))
    }

    static func vault() throws -> SessionVault {
        SessionVault(redis: RedisClient(url: try TestEnvironment.redisURL()), key: GatewayKeys(secret: testGatewaySecret).sessionSealing)
    }

    static func signIn(role: Role = .admin, accessToken: String = "access-\(UUID())", expiresIn: Double = 3600,
                       vault: SessionVault? = nil) async throws -> Planted {
        let identity = Identity(id: UUID(), subject: "subject-\(role)", name: "Test \(role.title)", email: "\(role)@example.test",
                                role: role, groups: ["role_\(role)"], authMethod: .token)
        let session = GatewaySession(apiSessionID: UUID(), accessToken: accessToken, refreshToken: "refresh", idToken: "id-token",
                                     accessExpires: Date().timeIntervalSince1970 + expiresIn, identity: identity,
                                     createdAt: Date().timeIntervalSince1970)
        let id = try await (vault ?? self.vault()).create(session)
        return Planted(cookie: "\(SessionVault.cookieName)=\(id)", id: id, session: session)
    }
}
