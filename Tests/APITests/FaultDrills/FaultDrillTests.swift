import AsyncHTTPClient
import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import OrcastraTestSupport
import Testing

@testable import OrcastraAPI

/// The product's parts fail one at a time while a signed-in dashboard keeps asking: the three
/// binaries as real processes, on a PostgreSQL and a Redis of the test's own (so it may stop
/// them; Redis with the deployment's settings), the Vault test server (Vault cannot run here),
/// the development identity provider with its test switches, and LXD test-bed daemon `a`
/// registered as a cluster.
///
/// Each drill is a 30 s window of steady load (`SteadyLoad`, 200 requests/s through the
/// gateway) and of key changes (`KeyWriter`); the fault starts 8 s in and the window's last
/// 5 s must be all successes. The rules are `DrillOutcome`'s; the table of outcomes is
/// printed whether or not they hold.
@Suite("Fault drills", .serialized)
struct FaultDrillTests {
    static let window: Duration = .seconds(30)
    static let faultAt: Duration = .seconds(8)
    static let settled: Duration = .seconds(25)
    /// The longest any request may take: PostgreSQL's 5 s wait for a connection
    /// (`PostgresClient.leaseLimit`) or a read's 5 s from a cluster (`LXD_LIST_TIMEOUT_SECONDS`),
    /// plus a second for everything else on a loaded two-core machine.
    static let deadline: Duration = .seconds(6)

    struct Drill: Sendable {
        var name: String
        var fault: @Sendable () async throws -> Void
    }

    @Test("PostgreSQL restarted, Redis stopped and started, the JWKS answering 503, Vault sealed, an LXD daemon hung: every request answered by its deadline, failures a 503/504 in our shape, recovery without restart, nothing lost")
    func drills() async throws {
        let postgres = try await PrivatePostgres()
        try await postgres.start()
        let redis = try PrivateRedis(configured: true)
        try await redis.start()
        let vault = FakeVault()
        let vaultApp = Application(router: vault.router(), configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await vaultApp.test(.live) { vaultClient in
            let product = try await ProductProcesses(database: postgres.url, redis: redis.url, extraEnvironment: [
                "VAULT_ENABLED": "true", "VAULT_ADDR": "http://127.0.0.1:\(try #require(vaultClient.port))", "VAULT_TOKEN": vault.token,
                // One load generator on one address would measure the per-address limit.
                "RATE_LIMIT_ENABLED": "false", "DEVIDP_TEST_CONTROLS": "true",
            ])
            defer { product.stop() }
            let http = DrillClient.makeHTTPClient()
            defer { http.shutdown { _ in } }
            let browser = TestBrowser()
            _ = try await product.signIn(browser, as: "admin")
            let cookie = try #require(browser.cookie("orcastra_session", host: "127.0.0.1:\(product.gateway.port)"), "no session cookie after sign-in")
            let client = DrillClient(http: http, gateway: product.gatewayURL, cookie: cookie)

            let registered = await client.call(.POST, "/api/v1/clusters", json: #"{"name":"drill-a","trust_token":"\#(try await LXDTestBed.token("a"))"}"#)
            try #require(registered.status == 201, "registering LXD a: \(registered.status) \(registered.text)")
            let cluster = try #require((try JSONSerialization.jsonObject(with: registered.body) as? [String: Any])?["id"] as? String)
            let fingerprint = (try JSONSerialization.jsonObject(with: registered.body) as? [String: Any])?["client_fingerprint"] as? String

            let drills = [
                Drill(name: "PostgreSQL restarted (down 5 s)") {
                    try await postgres.stop()
                    try await Task.sleep(for: .seconds(5))
                    try await postgres.start()
                },
                Drill(name: "Redis stopped 5 s and started") {
                    redis.stop()
                    try await Task.sleep(for: .seconds(5))
                    try await redis.start()
                },
                Drill(name: "JWKS answering 503 for 10 s") {
                    try await Self.jwks(product, status: 503)
                    try await Task.sleep(for: .seconds(10))
                    try await Self.jwks(product, status: 200)
                },
                Drill(name: "Vault sealed for 10 s") {
                    vault.mode = .sealed
                    try await Task.sleep(for: .seconds(10))
                    vault.mode = .active
                },
                Drill(name: "LXD daemon hung 10 s (SIGSTOP)") {
                    try await LXDTestBed.whilePaused("a") { try await Task.sleep(for: .seconds(10)) }
                },
            ]
            let load = SteadyLoad(client: client, paths: SteadyLoad.dashboardPaths(cluster: cluster))
            let writer = KeyWriter(client: client)
            var live: [String] = []
            var outcomes: [DrillOutcome] = []
            for drill in drills {
                let before = try await Self.keyAuditRows(postgres)
                async let samples = load.run(for: Self.window)
                async let written = writer.run(for: Self.window, from: KeyWriter.Ledger(live: live))
                try await Task.sleep(for: Self.faultAt)
                try await drill.fault()
                var outcome = DrillOutcome(drill: drill.name, deadline: Self.deadline, samples: await samples, ledger: await written,
                                           auditBefore: before, auditAfter: try await Self.keyAuditRows(postgres))
                outcome.judge(fault: Self.faultAt, settled: Self.settled, keyChanges: outcome.ledger.acknowledged, listed: try await writer.listed())
                live = outcome.ledger.live
                outcomes.append(outcome)
            }
            print("Fault drills (\(Self.window) windows, fault at \(Self.faultAt), all successes from \(Self.settled)):\n" + DrillOutcome.table(outcomes))
            for outcome in outcomes {
                #expect(outcome.problems.isEmpty, "\(outcome.drill): \(outcome.problems.joined(separator: "; "))")
            }

            let verify = await client.call(.GET, "/api/v1/audit-log/verify")
            #expect(verify.ok && verify.text.contains(#""valid":true"#), "audit chain after the drills: \(verify.status) \(verify.text.prefix(300))")
            let removed = await client.call(.DELETE, "/api/v1/clusters/\(cluster)")
            if removed.status != 204, let fingerprint { try await LXDTestBed.untrust("a", fingerprint) }
            #expect(removed.status == 204, "removing the drill's cluster: \(removed.status) \(removed.text)")
            // A graceful stop waits for every request in flight and every lease of the
            // database pool: 0 from each means nothing was left hanging.
            let statuses = product.stop()
            #expect(statuses == [0, 0, 0], "exit statuses of gateway, API and provider: \(statuses)")
            print("Fault drills: exit statuses of gateway, API and provider after SIGTERM: \(statuses)")
        }
    }

    /// Audit rows of key changes (`secret.write` / `secret.delete` under `my_keys/`).
    static func keyAuditRows(_ postgres: PrivatePostgres) async throws -> Int {
        let count = try await postgres.sql("SELECT count(*) FROM audit_events WHERE action IN ('secret.write', 'secret.delete') AND body LIKE '%my_keys/%'")
        guard let rows = Int(count) else { throw DrillFailure("counting audit rows: \(count)") }
        return rows
    }

    /// Sets what the provider's JWKS route answers (its test switch).
    static func jwks(_ product: ProductProcesses, status: Int) async throws {
        var request = HTTPClientRequest(url: product.idpURL + "/_test/jwks")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(string: #"{"status":\#(status)}"#))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        guard response.status == .ok else { throw DrillFailure("setting the JWKS to \(status): \(response.status)") }
    }
}
