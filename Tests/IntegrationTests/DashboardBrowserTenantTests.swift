import Foundation
import OrcastraTestSupport
import Testing

/// What the pages show a tenant in headless Chromium: none of the controls the API would refuse
/// them (registering clusters, creating instances, state changes, deletion, snapshots). A
/// partner sees the same pages first, so each control looked for is known to be there when it
/// is allowed: an absent control is then the role's doing, not a wrong selector.
@Suite("Dashboard in a browser: what a tenant sees", .serialized)
struct DashboardBrowserTenantTests {
    /// Controls on the instances page that change something (partners and admins only).
    static let instancesControls = ["[data-testid=create-panel]", "[data-testid=create-name]", "[data-testid=create-submit]"]
    /// Controls on an instance's own page that change something.
    static let instanceControls = [
        "[data-testid=actions-panel]", "[data-testid=action-start]", "[data-testid=action-stop]", "[data-testid=action-restart]",
        "[data-testid=action-freeze]", "[data-testid=action-unfreeze]", "[data-testid=action-force]", "[data-testid=action-delete]",
        "[data-testid=snapshot-form]", "[data-testid=snapshot-name]", "[data-testid=snapshot-create]",
    ]

    /// Which of `controls` are displayed on the page now.
    static func displayed(_ controls: [String], _ browser: WebDriver) async throws -> [String] {
        var shown: [String] = []
        for control in controls where try await browser.isDisplayed(control) { shown.append(control) }
        return shown
    }

    @Test("a tenant gets no Clusters page or link, no create form, and no state, delete or snapshot controls; a partner gets all of them")
    func tenantSeesNoManagementControls() async throws {
        try await Dashboard.run(as: "partner") { d in
            let b = d.browser
            let instancePage = "/instances/\(UUID().uuidString.lowercased())/web-1"

            #expect(try await b.isDisplayed("nav a[href=\"/clusters\"]"))
            try await d.open("/instances")
            try await b.waitUntil("the partner's instance list") { try await !b.elements("#instances tr").isEmpty }
            #expect(try await Self.displayed(Self.instancesControls, b) == Self.instancesControls)
            try await d.open(instancePage)
            _ = try await b.element("[data-testid=instance-name]")
            #expect(try await Self.displayed(Self.instanceControls, b) == Self.instanceControls)
            try await d.open("/clusters")
            #expect(try await b.isDisplayed("[data-testid=register-submit]"))

            try await d.signOut()
            try await d.signIn(as: "tenant")

            #expect(try await b.elements("nav a[href=\"/clusters\"]").isEmpty, "no Clusters link in the navigation")
            try await d.open("/instances")
            try await b.waitUntil("the tenant's instance list") { try await !b.elements("#instances tr").isEmpty }
            #expect(try await b.isDisplayed("[data-testid=filter-name]"), "filtering is for everyone")
            #expect(try await !b.isDisplayed("[data-testid=instances-error]"), "the list loads for a tenant")
            #expect(try await Self.displayed(Self.instancesControls, b) == [])
            try await d.open(instancePage)
            #expect(try await b.text("[data-testid=instance-name]") == "web-1")
            #expect(try await Self.displayed(Self.instanceControls, b) == [])
            try await d.open("/clusters")
            #expect(try await b.text("h1") == "Not for your role")
            #expect(try await b.elements("[data-testid=register-submit]").isEmpty)
            #expect(try await b.elements("[data-testid=register-token]").isEmpty)
        }
    }
}
