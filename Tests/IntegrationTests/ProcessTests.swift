import AsyncHTTPClient
import Foundation
import OrcastraModels
import OrcastraTestSupport
import Testing

/// The real `orcastra-api` and `orcastra-gateway` binaries, configured as an operator would.
@Suite("Services as processes")
struct ProcessTests {
    @Test("a request through the gateway carries one request id into both services' access lines; SIGTERM exits cleanly")
    func requestIDAcrossServices() async throws {
        let db = try await TestDatabase.create()
        defer { db.drop() }
        let redis = try #require(TestEnvironment.value("REDIS_URL"))
        let database = "postgresql+asyncpg://\(db.url.user):\(db.url.password ?? "")@\(db.url.host):\(db.url.port)/\(db.url.database)"
        // Half of the configuration comes from a .env file, half from the environment.
        let envFile = FileManager.default.temporaryDirectory.appendingPathComponent("orc-\(UUID().uuidString).env")
        try "# written by the integration test\nDATABASE_URL=\(database)\nAPP_VERSION=7.7.7\nTRUSTED_PROXY_CIDRS=127.0.0.1/32\nSECRET_KEY=integration-test-secret-key-0123456789\n"
            .write(to: envFile, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: envFile) }

        let apiPort = try Command.freePort()
        let api = try ServiceProcess("orcastra-api", port: apiPort, environment: ["ENV_FILE": envFile.path, "REDIS_URL": redis])
        try await api.waitHealthy()
        let gateway = try ServiceProcess("orcastra-gateway", port: try Command.freePort(), environment: [
            "ENV_FILE": envFile.path, "REDIS_URL": redis, "INTERNAL_BACKEND_URL": "http://127.0.0.1:\(apiPort)",
        ])
        try await gateway.waitHealthy()

        let requestID = "it-\(UUID().uuidString.prefix(8).lowercased())"
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(gateway.port)/api/v1/health")
        request.headers.add(name: "X-Request-ID", value: requestID)
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        #expect(response.status == .ok)
        #expect(response.headers.first(name: "X-Request-ID") == requestID)
        let report = try JSONDecoder().decode(HealthReport.self, from: try await response.body.collect(upTo: 1 << 20))
        #expect(report.version == "7.7.7")
        #expect(report.checks["postgres"]?.status == .ok)
        #expect(report.checks["redis"]?.status == .ok)

        // Access lines are written once the body has gone out; give them a moment.
        try await Command.waitUntil(.seconds(5), "access lines with \(requestID) in both services") {
            api.lines.contains { $0.contains(requestID) } && gateway.lines.contains { $0.contains(requestID) }
        }
        for service in [api, gateway] {
            let line = try JSONValue.parse(try #require(service.lines.first { $0.contains(requestID) }))
            #expect(line["log_type"] == .string("access"))
            #expect(line["path"] == .string("/api/v1/health"))
            #expect(line["status_code"] == .number(200))
            #expect(line["service"] == .string(service.name))
        }
        // The API trusts the gateway on loopback and reads the client address it forwarded.
        let apiLine = try JSONValue.parse(try #require(api.lines.first { $0.contains(requestID) }))
        #expect(apiLine["client"]?["proxy_trusted"] == .bool(true))
        // Every stdout line is one JSON object, and no secret from the configuration appears.
        for line in api.lines + gateway.lines {
            #expect((try? JSONValue.parse(line)) != nil, "not JSON: \(line)")
            if let password = db.url.password { #expect(!line.contains(password)) }
        }

        #expect(gateway.terminate() == 0)
        #expect(api.terminate() == 0)
    }

    @Test("a malformed variable stops start-up with one line naming it, and no secret", arguments: [
        (["DATABASE_URL": "mysql://orcastra:topsecret-value@db/orcastra"], "configuration error: DATABASE_URL has scheme 'mysql'; expected postgresql:// or postgresql+asyncpg://"),
        ([:], "configuration error: DATABASE_URL is required but not set"),
        (["DATABASE_URL": "postgresql://u:topsecret-value@h/d", "REDIS_URL": "redis://:topsecret-value@h/99"], "configuration error: REDIS_URL has database '99'; expected a number from 0 to 15"),
        (["DATABASE_URL": "postgresql://u:p@h/d", "LOG_LEVEL": "chatty"], "configuration error: LOG_LEVEL must be one of trace, debug, info, notice, warning, error, critical"),
    ])
    func configurationErrors(environment: [String: String], message: String) throws {
        let api = try ServiceProcess("orcastra-api", port: try Command.freePort(), environment: environment)
        #expect(api.waitForExit() == 78)
        #expect(api.errorOutput == message + "\n")
        #expect(!api.errorOutput.contains("topsecret"))
        #expect(!api.lines.joined().contains("topsecret"))
    }

    @Test("orcastra-api rotate-secret-key migrates if needed, re-seals and reports; without the previous key it refuses")
    func rotateSecretKey() async throws {
        let db = try await TestDatabase.create()
        defer { db.drop() }
        let url = "postgresql://\(db.url.user):\(db.url.password ?? "")@\(db.url.host):\(db.url.port)/\(db.url.database)"
        let env = ["DATABASE_URL": url, "SECRET_KEY": "new-key-0123456789abcdef0123456789abcdef"]
        let missing = try ServiceProcess("orcastra-api", port: 0, arguments: ["rotate-secret-key"], environment: env)
        #expect(missing.waitForExit() == 78)
        #expect(missing.errorOutput == "configuration error: SECRET_KEY_PREVIOUS is required but not set\n")
        let run = try ServiceProcess("orcastra-api", port: 0, arguments: ["rotate-secret-key"],
                                     environment: env.merging(["SECRET_KEY_PREVIOUS": "old-key-0123456789abcdef0123456789abcdef"]) { $1 })
        #expect(run.waitForExit() == 0, "\(run.errorOutput)")
        #expect(run.lines.contains { $0.hasPrefix("re-sealed 0 secret versions and 0 CA keys") })
        #expect(try await db.sql("SELECT to_regclass('secret_versions') IS NOT NULL") == "t")
    }

    @Test("the gateway refuses a malformed API address")
    func gatewayConfigurationError() throws {
        let gateway = try ServiceProcess("orcastra-gateway", port: try Command.freePort(), environment: ["INTERNAL_BACKEND_URL": "api:8765"])
        #expect(gateway.waitForExit() == 78)
        #expect(gateway.errorOutput == "configuration error: INTERNAL_BACKEND_URL must be an http:// or https:// URL\n")
    }
}
