import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import OrcastraModels
import OrcastraRuntime
import OrcastraTestSupport
import Testing

@testable import OrcastraAPI

/// The API's edge hardening against real Redis: probe blocking, CORS, security headers and
/// configuration warnings on `/health`.
@Suite("API hardening: probes, CORS, security headers, transport warnings")
struct HardeningTests {
    static let dashboard = "https://dash.example.test"

    /// An API trusting loopback as its proxy (so tests speak for any address), with probes
    /// blocked after 3, CORS for `dashboard`, and `edit` applied last.
    static func run(edit: @Sendable (inout APIConfig) -> Void = { _ in }, sink: LogSink = LogSink(.memory),
                    _ body: @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let db = try await TestDatabase.create()
        defer { db.drop() }
        var service = ServiceConfig(serviceName: "orcastra-api", version: "test", redis: try TestEnvironment.redisURL())
        service.clientIP = ClientIPPolicy(trustedProxies: [CIDR("127.0.0.1/32")!, CIDR("::1/128")!])
        var config = APIConfig(service: service, database: db.url, secrets: .embedded(masterKey: testMasterKey), auth: .noIssuer)
        config.probeBlock = ProbeBlockSettings(probes: 3, keyPrefix: "orcastra-test:probe:\(UUID().uuidString):")
        config.cors = CORSSettings(origins: [Self.dashboard])
        edit(&config)
        try await buildApplication(config: config, sink: sink).test(.live) { client in try await body(client) }
    }

    static func send(_ client: some TestClientProtocol, _ path: String, method: HTTPRequest.Method = .get, from ip: String = "198.51.100.20",
                     headers: HTTPFields = [:]) async throws -> (HTTPResponse.Status, HTTPFields, Data) {
        var all = headers
        all[HTTPField.Name("X-Forwarded-For")!] = ip
        return try await client.execute(uri: path, method: method, headers: all) { ($0.status, $0.headers, Data(buffer: $0.body)) }
    }

    @Test("probe paths get 404 before any route, are logged as security lines, and enough of them block the address for a while")
    func probes() async throws {
        let sink = LogSink(.memory)
        try await Self.run(sink: sink) { client async throws in
            for path in ["/.env", "/.git/config", "/wp-admin/"] {
                let (status, _, body) = try await Self.send(client, path, from: "198.51.100.30")
                #expect(status == .notFound, "\(path)")
                #expect(body.errorCode == "not_found")
            }
            // The address is blocked now, on every path; another address is not.
            let (blocked, headers, body) = try await Self.send(client, "/api/v1/openapi.json", from: "198.51.100.30")
            #expect(blocked == .forbidden)
            #expect(body.errorCode == "blocked")
            #expect(headers[.retryAfter].flatMap { Int($0) }.map { (1...900).contains($0) } == true)
            #expect(try await Self.send(client, "/api/v1/openapi.json", from: "198.51.100.31").0 == .ok)
            #expect(try await Self.send(client, "/api/v1/openapi.json", from: "198.51.100.31").0 == .ok)
            // A probe under a real prefix is still a probe.
            #expect(try await Self.send(client, "/api/v1/.env.local", from: "198.51.100.31").0 == .notFound)
            let security = sink.lines.filter { $0.contains(#""log_type":"security""#) }
            #expect(security.count == 4)
            #expect(security.contains { $0.contains(#""event":"blocked""#) && $0.contains("198.51.100.30") })
            #expect(security.allSatisfy { $0.contains(#""service":"orcastra-api""#) })
        }
    }

    @Test("SECURITY_PROBE_BLOCK_ENABLED=false answers probes like any unknown path, unblocked")
    func probesOff() async throws {
        try await Self.run(edit: { config in config.probeBlock = nil }, sink: LogSink(.memory)) { client async throws in
            for _ in 0..<5 { #expect(try await Self.send(client, "/.env", from: "198.51.100.32").0 == .notFound) }
            #expect(try await Self.send(client, "/api/v1/openapi.json", from: "198.51.100.32").0 == .ok)
        }
        #expect(ProbeBlockMiddleware.isProbe("/phpmyadmin/index.php"))
        #expect(ProbeBlockMiddleware.isProbe("/.aws/credentials"))
        #expect(ProbeBlockMiddleware.isProbe("/server-status"))
        #expect(ProbeBlockMiddleware.isProbe("/wp-login.php"))
        #expect(!ProbeBlockMiddleware.isProbe("/api/v1/clusters"))
        #expect(!ProbeBlockMiddleware.isProbe("/static/environment.js"))
        #expect(try ProbeBlockSettings.read(Settings.testing(["SECURITY_PROBE_BLOCK_ENABLED": "false"])) == nil)
        #expect(try ProbeBlockSettings.read(.testing([:]))?.probes == 10)
    }

    @Test("CORS: a listed origin's preflight gets its methods and headers with credentials; another origin's is refused; never *")
    func cors() async throws {
        try await Self.run { client in
            let preflight: HTTPFields = [.origin: Self.dashboard, CORSMiddleware.requestMethod: "DELETE", HTTPField.Name("Access-Control-Request-Headers")!: "authorization"]
            let (status, headers, _) = try await Self.send(client, "/api/v1/api-keys/x", method: .options, headers: preflight)
            #expect(status == .noContent)
            #expect(headers[CORSMiddleware.allowOrigin] == Self.dashboard)
            #expect(headers[CORSMiddleware.allowCredentials] == "true")
            #expect(headers[CORSMiddleware.allowMethods]?.contains("DELETE") == true)
            #expect(headers[CORSMiddleware.allowHeaders]?.contains("Authorization") == true)

            var evil = preflight
            evil[.origin] = "https://evil.example.test"
            let (refused, refusedHeaders, body) = try await Self.send(client, "/api/v1/api-keys/x", method: .options, headers: evil)
            #expect(refused == .forbidden)
            #expect(body.errorCode == "cors_origin_refused")
            #expect(refusedHeaders[CORSMiddleware.allowOrigin] == nil)

            let (_, listed, _) = try await Self.send(client, "/api/v1/openapi.json", headers: [.origin: Self.dashboard])
            #expect(listed[CORSMiddleware.allowOrigin] == Self.dashboard)
            let (_, other, _) = try await Self.send(client, "/api/v1/me", headers: [.origin: "https://evil.example.test"])
            #expect(other[CORSMiddleware.allowOrigin] == nil)
            #expect(other[CORSMiddleware.allowCredentials] == nil)
        }
        #expect(throws: ConfigError("CORS_ORIGINS", "may not be *: credentials are allowed, so every origin must be listed exactly")) {
            try CORSSettings.read(.testing(["CORS_ORIGINS": "https://a.example, *"]))
        }
        #expect(throws: ConfigError("CORS_ORIGINS", "has 'https://a.example/app', which is not an origin like https://dashboard.example.com")) {
            try CORSSettings.read(.testing(["CORS_ORIGINS": "https://a.example/app"]))
        }
        #expect(try CORSSettings.read(.testing(["CORS_ORIGINS": "http://localhost:4321/, https://Dash.example"]))?.origins == ["http://localhost:4321", "https://dash.example"])
        #expect(try CORSSettings.read(.testing([:])) == nil)
    }

    @Test("security headers: nosniff everywhere, no-store on answers to credentials, HSTS only over HTTPS per a trusted proxy or an https public URL")
    func securityHeaders() async throws {
        try await Self.run { client in
            let (_, open, _) = try await Self.send(client, "/api/v1/openapi.json")
            #expect(open[SecurityHeadersMiddleware.contentTypeOptions] == "nosniff")
            #expect(open[SecurityHeadersMiddleware.strictTransportSecurity] == nil)
            let (status, authed, _) = try await Self.send(client, "/api/v1/me", headers: [.authorization: "Bearer not-a-token"])
            #expect(status == .unauthorized)
            #expect(authed[.cacheControl] == "no-store")
            #expect(authed[SecurityHeadersMiddleware.contentTypeOptions] == "nosniff")
            let (_, https, _) = try await Self.send(client, "/api/v1/openapi.json", headers: [SecurityHeadersMiddleware.forwardedProto: "https"])
            #expect(https[SecurityHeadersMiddleware.strictTransportSecurity] == SecurityHeadersMiddleware.hsts)
        }
        // A direct (untrusted) peer's X-Forwarded-Proto is not believed; an https public URL always is.
        try await Self.run(edit: { config in config.service.clientIP = ClientIPPolicy() }, sink: LogSink(.memory)) { client async throws in
            let (_, h, _) = try await Self.send(client, "/api/v1/openapi.json", headers: [SecurityHeadersMiddleware.forwardedProto: "https"])
            #expect(h[SecurityHeadersMiddleware.strictTransportSecurity] == nil)
        }
        try await Self.run(edit: { config in config.publicHTTPS = true }, sink: LogSink(.memory)) { client async throws in
            #expect(try await Self.send(client, "/api/v1/openapi.json").1[SecurityHeadersMiddleware.strictTransportSecurity] == SecurityHeadersMiddleware.hsts)
        }
        #expect(try APIConfig(settings: .testing(APIConfigTests.withKey.merging(["NEXTAUTH_URL": "https://orcastra.example.com"]) { $1 })).publicHTTPS)
    }

    @Test("a known path asked with a method it does not take is 405 with Allow; unknown paths and a handler's own 404 stay 404")
    func methodNotAllowed() async throws {
        try await Self.run { client async throws in
            for (method, path, allow) in [
                (HTTPRequest.Method(rawValue: "TRACE")!, "/api/v1/clusters", "GET, POST"),
                (.delete, "/api/v1/openapi.json", "GET"),
                (.put, "/health", "GET"),
                (.post, "/api/v1/clusters/5f0c1b52-0000-4000-8000-000000000000", "DELETE, GET, PATCH"),
            ] {
                let (status, headers, body) = try await Self.send(client, path, method: method)
                #expect(status == .methodNotAllowed, "\(method) \(path)")
                #expect(headers[.allow] == allow, "\(method) \(path)")
                #expect(body.errorCode == "method_not_allowed", "\(method) \(path)")
            }
            #expect(try await Self.send(client, "/api/v1/no-such-thing", method: .delete).0 == .notFound)
            // Signed out, the route's own answer (401) comes first, not a 405.
            #expect(try await Self.send(client, "/api/v1/clusters").0 == .unauthorized)
        }
    }

    @Test("a plain-http identity provider or Vault on a public address is a start-up warning and a /health warning; status is unchanged")
    func transportWarnings() async throws {
        let sink = LogSink(.memory)
        try await Self.run(edit: { config in
            config.auth = AuthSettings(token: .init(issuer: "http://idp.example.com/application/o/orcastra/", audience: "x"))
        }, sink: sink) { client async throws in
            let (status, _, body) = try await Self.send(client, "/health")
            #expect(status == .ok)
            let report = try JSONDecoder().decode(HealthReport.self, from: body)
            #expect(report.status == .ok)
            #expect(Set(report.checks.keys) == ["postgres", "redis"])
            #expect(report.warnings?.count == 1)
            #expect(report.warnings?.first?.contains("AUTHENTIK_ISSUER") == true)
        }
        // The default (private) issuer: no warnings field at all.
        try await Self.run { client in
            let (_, _, body) = try await Self.send(client, "/health")
            #expect(try JSONValue.parse(String(decoding: body, as: UTF8.self))["warnings"] == nil)
        }
        let vault = try APIConfig(settings: .testing(APIConfigTests.base.merging([
            "VAULT_ENABLED": "true", "VAULT_ADDR": "http://203.0.113.5:8200", "VAULT_TOKEN": "hvs.x",
            "AUTHENTIK_ISSUER": "https://auth.example.com/application/o/orcastra/",
        ]) { $1 }))
        #expect(vault.transportWarnings.count == 1)
        #expect(vault.transportWarnings.first?.hasPrefix("VAULT_ADDR") == true)
    }
}
