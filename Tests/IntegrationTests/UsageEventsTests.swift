import Foundation
import NIOHTTP1
import OrcastraTestSupport
import Testing

/// The usage ledger follows LXD's lifecycle events in the real API process: a change made
/// behind Orcastra's back is recorded as it happens, not at the next scan, and the stream is
/// followed again after the daemon restarts.
@Suite("Usage ledger follows LXD's events (processes, real LXD)", .serialized)
struct UsageEventsTests {
    @Test("an instance made and started with lxc is in the ledger within seconds, before and after the daemon restarts")
    func eventsAndReconnect() async throws {
        // The periodic scan is an hour away: what reaches the ledger here comes from events
        // (or from the scan each new connection makes).
        let product = try await ProductProcesses(extraEnvironment: ["USAGE_RESCAN_SECONDS": "3600"])
        defer { product.stop() }
        let db = try #require(product.db)
        let browser = TestBrowser()
        _ = try await product.signIn(browser, as: "admin")
        let origin: HTTPHeaders = ["Origin": product.gatewayURL]
        let token = try await LXDTestBed.token("b")
        let registered = try await browser.request(.POST, product.gatewayURL + "/api/v1/clusters",
                                                   json: #"{"name":"events-b","trust_token":"\#(token)"}"#, headers: origin)
        #expect(registered.status == 201, "\(registered.body)")
        let cluster = try #require(try JSONValue.parse(registered.body)["id"]?.string)
        let instance = "ev-\(UUID().uuidString.prefix(8).lowercased())"
        defer {
            Task {
                try? await LXDTestBed.lxc("b", ["delete", "--force", instance])
            }
        }
        let api = product.api
        let connections = { api.lines.filter { $0.contains("following the cluster's lifecycle events") }.count }
        try await Command.waitUntil(.seconds(30), "the API following daemon b's events") { connections() >= 1 }

        /// The ledger's events for the instance, with their source, oldest first.
        @Sendable func ledger() async throws -> [String] {
            // The name is ours (letters, digits, dashes), so it may stand in the SQL.
            try await db.sql("SELECT event || ':' || source FROM usage_ledger WHERE instance = '\(instance)' ORDER BY at, id")
                .split(separator: "\n").map(String.init)
        }

        try await LXDTestBed.lxc("b", ["init", "busybox", instance, "-c", "limits.cpu=1"])
        try await Command.waitUntil(.seconds(10), "the lxc-made instance in the ledger") { try await ledger() == ["created:event"] }

        // The daemon restarts: the stream breaks, and the API follows it again.
        try await LXDTestBed.restart("b")
        try await Command.waitUntil(.seconds(60), "the API following daemon b's events again") { connections() >= 2 }
        try await LXDTestBed.lxc("b", ["start", instance])
        try await Command.waitUntil(.seconds(10), "the start, as it happened") { try await ledger() == ["created:event", "started:event"] }

        try await LXDTestBed.lxc("b", ["delete", "--force", instance])
        try await Command.waitUntil(.seconds(10), "the deletion") { try await ledger().last == "deleted:event" }
        let removed = try await browser.request(.DELETE, product.gatewayURL + "/api/v1/clusters/\(cluster)", headers: origin)
        #expect(removed.status == 204, "\(removed.body)")
    }
}
