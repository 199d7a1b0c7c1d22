import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import OrcastraModels
import OrcastraRuntime
import OrcastraTestSupport
import PostgresNIO

@testable import OrcastraAPI

/// An API wired to a `TestIssuer`, over a fresh migrated database, with an in-memory log sink.
struct AuthHarness: Sendable {
    let issuer: TestIssuer
    let db: TestDatabase
    let sink: LogSink
    static let proxySecret = "test-proxy-secret-0123456789abcdef"
    var proxySecret: String { Self.proxySecret }

    static func config(issuer: TestIssuer, db: TestDatabase, jwks: JWKSCache.Policy, redis: RedisURL?, proxySecret: String,
                       secrets: SecretsBackend = .embedded(masterKey: testMasterKey)) -> APIConfig {
        APIConfig(
            service: ServiceConfig(serviceName: "orcastra-api", version: "test", redis: redis),
            database: db.url, secrets: secrets,
            auth: AuthSettings(token: .init(issuer: issuer.issuer, audience: TestIssuer.audience), jwks: jwks, proxySecret: proxySecret),
            databaseStartupTimeout: .seconds(10))
    }

    /// Runs `body` against the API's router; `jwks` defaults to a 60 s cooldown.
    static func run(
        jwks: JWKSCache.Policy = .init(refetchCooldown: .seconds(60)),
        secrets: SecretsBackend = .embedded(masterKey: testMasterKey),
        configure: @Sendable (inout APIConfig) -> Void = { _ in },
        _ body: @Sendable (AuthHarness, any TestClientProtocol) async throws -> Void
    ) async throws {
        try await TestIssuer.run { issuer in
            let db = try await TestDatabase.create()
            defer { db.drop() }
            let harness = AuthHarness(issuer: issuer, db: db, sink: LogSink(.memory))
            var config = Self.config(issuer: issuer, db: db, jwks: jwks, redis: try TestEnvironment.redisURL(), proxySecret: harness.proxySecret, secrets: secrets)
            configure(&config)
            let app = try buildApplication(config: config, sink: harness.sink)
            try await app.test(.router) { client in try await body(harness, client) }
        }
    }

    /// Runs SQL against the harness' database (for checks and for tampering).
    func sql<R: Sendable>(_ body: @Sendable (PostgresClient) async throws -> R) async throws -> R {
        try await withPostgresClient(self.db.url, body)
    }
}

extension TestClientProtocol {
    /// GET/POST/DELETE with a bearer credential; answers status and body bytes.
    func call(_ method: HTTPRequest.Method, _ path: String, bearer: String? = nil, headers: HTTPFields = [:], json: String? = nil) async throws -> (HTTPResponse.Status, Data) {
        var fields = headers
        if let bearer { fields[.authorization] = "Bearer " + bearer }
        if json != nil { fields[.contentType] = "application/json" }
        return try await self.execute(uri: path, method: method, headers: fields, body: json.map { ByteBuffer(string: $0) }) { response async throws in
            (response.status, Data(buffer: response.body))
        }
    }

    /// The caller as `/api/v1/me` reports them, or nil with the status when refused.
    func me(bearer: String?, headers: HTTPFields = [:]) async throws -> (HTTPResponse.Status, Identity?) {
        let (status, data) = try await self.call(.get, "/api/v1/me", bearer: bearer, headers: headers)
        return (status, status == .ok ? try JSONCoding.decoder.decode(Identity.self, from: data) : nil)
    }
}

extension Data {
    /// The `error.code` of our error shape, if this is one.
    var errorCode: String? { (try? JSONCoding.decoder.decode(ErrorBody.self, from: self))?.error.code }
    /// Its `error.message`.
    var errorMessage: String? { (try? JSONCoding.decoder.decode(ErrorBody.self, from: self))?.error.message }
}
