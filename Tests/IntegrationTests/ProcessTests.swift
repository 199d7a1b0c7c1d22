import AsyncHTTPClient
import Foundation
import OrcastraModels
import OrcastraTestSupport
import Testing

/// The real `orcastra-api` and `orcastra-gateway` binaries, configured as an operator would.
@Suite("Services as processes")
struct ProcessTests {
    @Test("devidp, API and gateway as processes: a full sign-in; one request id in both services' access lines; SIGTERM exits cleanly")
    func signInAndRequestID() async throws {
        let product = try await ProductProcesses()
        let browser = TestBrowser()
        let home = try await product.signIn(browser, as: "partner")
        #expect(home.status == 200)
        #expect(home.body.contains(#"data-testid="user-role">Partner<"#))

        let requestID = "it-\(UUID().uuidString.prefix(8).lowercased())"
        let response = try await browser.request(.GET, product.gatewayURL + "/api/v1/health", headers: ["X-Request-ID": requestID])
        #expect(response.status == 200)
        #expect(response.headers.first(name: "X-Request-ID") == requestID)
        let report = try JSONDecoder().decode(HealthReport.self, from: Data(response.body.utf8))
        #expect(report.version == "7.7.7")
        #expect(report.checks["postgres"]?.status == .ok)
        #expect(report.checks["redis"]?.status == .ok)

        // Access lines are written once the body has gone out; give them a moment.
        let (api, gateway) = (product.api, product.gateway)
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
        // The sign-in is in the audit trail, as a row and as an audit line.
        #expect(api.lines.contains { $0.contains(#""log_type":"audit""#) && $0.contains(#""action":"auth.login""#) })
        // Every stdout line is one JSON object, and no secret or token appears in any of them.
        let session = try #require(browser.cookie("orcastra_session", host: "127.0.0.1:\(gateway.port)"))
        for line in api.lines + gateway.lines + product.idp.lines {
            #expect((try? JSONValue.parse(line)) != nil, "not JSON: \(line)")
            if let password = product.db?.url.password { #expect(!line.contains(password)) }
            #expect(!line.contains("integration-client-secret"))
            #expect(!line.contains(session))
            #expect(!line.contains("eyJ"), "a JWT reached a log line: \(line)")
        }
        #expect(product.stop() == [0, 0, 0])
    }

    /// `orcastra-api` on `db` without Redis, with `environment` added, once healthy.
    static func startAPI(_ db: TestDatabase, _ environment: [String: String]) async throws -> ServiceProcess {
        let url = "postgresql://\(db.url.user):\(db.url.password ?? "")@\(db.url.host):\(db.url.port)/\(db.url.database)"
        let api = try ServiceProcess("orcastra-api", port: try Command.freePort(), environment: [
            "DATABASE_URL": url, "SECRET_KEY": String(repeating: "d", count: 40), "REDIS_ENABLED": "false",
        ].merging(environment) { $1 })
        try await api.waitHealthy()
        return api
    }

    @Test("AUTH_ENABLED=false with ALLOW_INSECURE_NO_AUTH=true: a critical line at start, every caller the development admin")
    func authDisabledForDevelopment() async throws {
        let db = try await TestDatabase.create()
        defer { db.drop() }
        let api = try await Self.startAPI(db, ["AUTH_ENABLED": "false", "ALLOW_INSECURE_NO_AUTH": "true"])
        let warning = try JSONValue.parse(try #require(api.lines.first { $0.contains("AUTH_ENABLED=false") }))
        #expect(warning["level"] == .string("critical"))
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: "http://127.0.0.1:\(api.port)/api/v1/me"), timeout: .seconds(10))
        #expect(response.status == .ok)
        let me = try JSONDecoder().decode(Identity.self, from: try await response.body.collect(upTo: 1 << 20))
        #expect(me.role == .admin)
        #expect(me.authMethod == .development)
        #expect(api.terminate() == 0)
    }

    @Test("a plain-http AUTHENTIK_ISSUER on a public address: a warning line at start and a warnings entry in /health, status unchanged")
    func insecureIssuerWarning() async throws {
        let db = try await TestDatabase.create()
        defer { db.drop() }
        let api = try await Self.startAPI(db, ["AUTHENTIK_ISSUER": "http://auth.example.com/application/o/orcastra/", "AUTHENTIK_CLIENT_ID": "orcastra"])
        let warning = try JSONValue.parse(try #require(api.lines.first { $0.contains("AUTHENTIK_ISSUER is plain http://") }))
        #expect(warning["level"] == .string("warning"))
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: "http://127.0.0.1:\(api.port)/health"), timeout: .seconds(10))
        #expect(response.status == .ok)
        let report = try JSONDecoder().decode(HealthReport.self, from: try await response.body.collect(upTo: 1 << 20))
        #expect(report.status == .ok)
        #expect(report.warnings?.first?.hasPrefix("AUTHENTIK_ISSUER") == true)
        #expect(api.terminate() == 0)
    }

    @Test("a malformed variable stops start-up with one line naming it, and no secret", arguments: [
        (["DATABASE_URL": "mysql://orcastra:topsecret-value@db/orcastra"], "configuration error: DATABASE_URL has scheme 'mysql'; expected postgresql:// or postgresql+asyncpg://"),
        ([:], "configuration error: DATABASE_URL is required but not set"),
        (["DATABASE_URL": "postgresql://u:topsecret-value@h/d", "REDIS_URL": "redis://:topsecret-value@h/99"], "configuration error: REDIS_URL has database '99'; expected a number from 0 to 15"),
        (["DATABASE_URL": "postgresql://u:p@h/d", "LOG_LEVEL": "chatty"], "configuration error: LOG_LEVEL must be one of trace, debug, info, notice, warning, error, critical"),
        (["DATABASE_URL": "postgresql://u:p@h/d", "SECRET_KEY": String(repeating: "s", count: 40), "AUTHENTIK_CLIENT_ID": "x"], "configuration error: AUTHENTIK_ISSUER is required but not set"),
        (["DATABASE_URL": "postgresql://u:p@h/d", "SECRET_KEY": String(repeating: "s", count: 40), "AUTH_ENABLED": "false"], "configuration error: AUTH_ENABLED is false, which leaves the API open; set ALLOW_INSECURE_NO_AUTH=true as well if this is a development machine"),
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
