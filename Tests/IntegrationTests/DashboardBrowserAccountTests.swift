import Foundation
import OrcastraTestSupport
import Testing

/// The account and audit pages in headless Chromium: the two smaller page scripts, which share
/// their error handling and element lookup with the others through `api.js`.
@Suite("Dashboard in a browser: account and audit pages", .serialized)
struct DashboardBrowserAccountTests {
    @Test("an admin creates an API key on the account page, sees it once and listed, and verifies the audit chain")
    func keyAndAuditChain() async throws {
        try await Dashboard.run(as: "admin") { d in
            let b = d.browser
            let name = "ci-\(UUID().uuidString.prefix(8).lowercased())"

            try await d.open("/account")
            try await b.waitUntil("this browser's session listed") { (try await d.text("#sessions") ?? "").contains("(this browser)") }
            try await b.type("[data-testid=key-name]", name)
            try await b.click("[data-testid=key-create]")
            let key = try await b.waitFor("the new key shown") { try await b.isDisplayed("[data-testid=key-value]") ? try await d.text("[data-testid=key-value]") : nil }
            #expect(key.hasPrefix("orc_"))
            try await b.waitUntil("\(name) listed") { (try await d.text("#keys") ?? "").contains(name) }
            #expect(try await !b.isDisplayed("#account-error"))

            try await d.open("/audit")
            try await b.waitUntil("audit events listed") { try await !b.elements("#events tr").isEmpty }
            try await b.click("[data-testid=audit-verify]")
            let verdict = try await b.waitFor("the chain verified") { () -> String? in
                let text = try await d.text("[data-testid=audit-verify-result]") ?? ""
                return text.isEmpty || text.hasPrefix("Checking") ? nil : text
            }
            #expect(verdict.hasPrefix("Valid: "), "\(verdict)")
            #expect(try await !b.isDisplayed("#audit-error"))
        }
    }
}
