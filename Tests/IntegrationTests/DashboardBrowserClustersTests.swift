import Foundation
import OrcastraTestSupport
import Testing

/// The clusters page in headless Chromium against the real services and the LXD test bed:
/// what a person sees while registering a server by trust token, renaming and removing it.
@Suite("Dashboard in a browser: clusters page", .serialized)
struct DashboardBrowserClustersTests {
    static let rows = "[data-testid=cluster-row]"

    static func row(_ name: String) -> String { "\(Self.rows)[data-name=\"\(name)\"]" }

    @Test("an admin registers test-bed daemon a by pasting its trust token, sees it reachable, renames it, and deletes it")
    func registerRenameDelete() async throws {
        try await Dashboard.run(as: "admin") { d in
            let b = d.browser
            try await d.removeClustersAtEnd(["a"])
            let trustedBefore = try await LXDTestBed.trusted("a")
            let stem = UUID().uuidString.prefix(8).lowercased()
            let name = "web-\(stem)", renamed = "edge-\(stem)"

            try await d.open("/clusters")
            try await b.waitUntil("the empty list") { try await d.text("#clusters td") == "No clusters registered yet." }

            // A token LXD never issued: the error shows beside the form, nothing is listed.
            try await b.type("[data-testid=register-name]", name)
            try await b.type("[data-testid=register-token]", "not-a-trust-token")
            try await b.click("[data-testid=register-submit]")
            let refused = try await b.waitFor("the refusal beside the form") { try await b.isDisplayed("[data-testid=register-error]") ? try await d.text("[data-testid=register-error]") : nil }
            #expect(!refused.isEmpty)
            #expect(try await d.names(Self.rows).isEmpty)

            // A fresh token from the daemon: registered, listed, and checked live.
            try await b.clear("[data-testid=register-token]")
            try await b.type("[data-testid=register-token]", try await LXDTestBed.token("a"))
            try await b.click("[data-testid=register-submit]")
            let registered = try await b.waitFor("the registration message") { try await b.isDisplayed("[data-testid=clusters-message]") ? try await d.text("[data-testid=clusters-message]") : nil }
            let address = try await LXDTestBed.address("a")
            #expect(registered == "Registered \(name) (https://\(address)).")
            #expect(try await !b.isDisplayed("[data-testid=register-error]"), "the earlier refusal is gone")
            #expect(try await d.value("[data-testid=register-name]") == "", "the form is emptied for the next one")
            try await b.waitUntil("\(name) listed as reachable") { try await d.text("[data-testid=cluster-status]", in: Self.row(name)) == "reachable" }
            #expect(try await d.names(Self.rows) == [name])
            #expect(try await d.text("td.mono", in: Self.row(name)) == "https://\(address)")
            #expect(try await d.text("[data-testid=cluster-server]", in: Self.row(name))?.hasPrefix("lxd ") == true)
            #expect(try await d.text("[data-testid=cluster-members]", in: Self.row(name)) == "1 (standalone)")
            let ours = try await LXDTestBed.trusted("a").subtracting(trustedBefore)
            #expect(ours.count == 1, "the daemon trusts Orcastra's new client certificate")

            // Rename: a name the API refuses shows at the top and hides the last success message.
            try await b.click("\(Self.row(name)) [data-testid=cluster-rename]")
            try await b.clear("[data-testid=rename-input]")
            try await b.type("[data-testid=rename-input]", "-\(stem)")
            try await b.click("[data-testid=rename-save]")
            let invalid = try await b.waitFor("the refused rename") { try await b.isDisplayed("[data-testid=clusters-error]") ? try await d.text("[data-testid=clusters-error]") : nil }
            #expect(invalid.contains("name must be"))
            #expect(try await !b.isDisplayed("[data-testid=clusters-message]"))
            try await b.clear("[data-testid=rename-input]")
            try await b.type("[data-testid=rename-input]", renamed)
            try await b.click("[data-testid=rename-save]")
            try await b.waitUntil("the rename message") { try await d.text("[data-testid=clusters-message]") == "Renamed \(name) to \(renamed)." }
            try await b.waitUntil("the list under the new name") { try await d.names(Self.rows) == [renamed] }
            #expect(try await !b.isDisplayed("[data-testid=clusters-error]"))
            try await b.waitUntil("\(renamed) reachable") { try await d.text("[data-testid=cluster-status]", in: Self.row(renamed)) == "reachable" }

            // The rename is the server's, not only the page's.
            try await d.open("/clusters")
            try await b.waitUntil("\(renamed) after a reload") { try await d.names(Self.rows) == [renamed] }

            // Delete: confirmed in a dialog that names it; the daemon no longer trusts us.
            try await b.click("\(Self.row(renamed)) [data-testid=cluster-delete]")
            let question = try await b.acceptDialog()
            #expect(question.contains(renamed))
            try await b.waitUntil("the delete message") { try await d.text("[data-testid=clusters-message]") == "Deleted \(renamed)." }
            try await b.waitUntil("the empty list again") { try await d.text("#clusters td") == "No clusters registered yet." }
            #expect(try await d.names(Self.rows).isEmpty)
            #expect(try await LXDTestBed.trusted("a").isDisjoint(with: ours), "removing the cluster took its certificate out of the daemon's trust store")
        }
    }

    @Test("the clusters page shows every cluster when there are more than one page of the API's largest (500)")
    func moreThanOnePage() async throws {
        try await Dashboard.run(as: "admin") { d in
            // Rows written straight into the product's database: the page lists them whether or
            // not a server answers (their status shows what the API says about each).
            _ = try await #require(d.product.db).sql(
                """
                INSERT INTO clusters (name, endpoint, server_fingerprint, client_fingerprint)
                SELECT 'bulk-' || lpad(n::text, 3, '0'), 'https://127.0.0.1:9', repeat('ab', 32), 'x' FROM generate_series(1, 501) AS n
                """)
            try await d.open("/clusters")
            try await d.browser.waitUntil("all 501 clusters listed") { try await d.browser.elements(Self.rows).count == 501 }
            let names = try await d.names(Self.rows)
            #expect(names.first == "bulk-001" && names.last == "bulk-501", "\(names.prefix(2)) … \(names.suffix(2))")
            _ = try await #require(d.product.db).sql("DELETE FROM clusters")
        }
    }
}
