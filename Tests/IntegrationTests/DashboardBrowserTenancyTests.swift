import Foundation
import OrcastraTestSupport
import Testing

/// Tenancy in headless Chromium, end to end on the LXD test bed: a partner creates an
/// organization and a project with a quota on their cluster and invites a tenant; the tenant
/// creates and starts a container in the project, sees the quota check before creating,
/// LXD's refusal when the quota is used up, and their usage on the Reports page; the partner
/// prices it.
@Suite("Dashboard in a browser: partners and tenants", .serialized)
struct DashboardBrowserTenancyTests {
    @Test("a partner sets up an organization, a project with a quota and a tenant; the tenant works inside the quota and is told when it is used up")
    func partnerAndTenant() async throws {
        try await Dashboard.run(as: "tenant") { d in
            let b = d.browser
            let suffix = UUID().uuidString.prefix(6).lowercased()
            let (projectName, instance) = ("Shop \(suffix)", "shop-\(suffix)")
            let lxdProject = "orc-shop-\(suffix)"
            d.atEnd("project \(lxdProject) on LXD a") {
                if try await LXDTestBed.lxc("a", ["list", "--project", lxdProject, "--format", "csv", "-c", "n"]).output.contains(instance) {
                    try await LXDTestBed.lxc("a", ["delete", "--force", "--project", lxdProject, instance])
                }
                _ = try? await LXDTestBed.lxc("a", ["project", "delete", lxdProject])
            }
            // The tenant has signed in once (so they can be invited); the partner too (so a
            // cluster can be registered for them). The test bed is loopback, which only an admin
            // may register: the admin registers it for the partner.
            try await d.signOut()
            try await d.signIn(as: "partner")
            let partnerID = try #require(try await d.api("GET", "/api/v1/me").body["id"]?.string)
            try await d.signOut()
            try await d.signIn(as: "admin")
            try await d.removeClustersAtEnd(["a"])
            let token = try await LXDTestBed.token("a")
            let (registered, cluster) = try await d.api("POST", "/api/v1/clusters", json: #"{"name":"tenancy-a","trust_token":"\#(token)","owner_id":"\#(partnerID)"}"#)
            #expect(registered == 201, "\(cluster)")
            try await d.signOut()

            // The partner: an organization, a project with a quota, the tenant as operator.
            try await d.signIn(as: "partner")
            try await d.open("/projects")
            try await b.type("[data-testid=organization-name]", "Tenants Inc \(suffix)")
            try await b.click("[data-testid=organization-submit]")
            try await b.waitUntil("the new organization") { try await d.names("[data-testid=organization-row]").contains("Tenants Inc \(suffix)") }
            try await b.waitUntil("the organization and cluster to choose") {
                let organizations = try await b.elements("[data-testid=project-organization] option")
                let clusters = try await b.elements("[data-testid=project-cluster] option")
                return !organizations.isEmpty && !clusters.isEmpty
            }
            try await b.type("[data-testid=project-name]", projectName)
            for (field, value) in [("instances", "1"), ("cpu", "1"), ("memory", "256MiB"), ("disk", "1GiB")] {
                try await b.type("[data-testid=project-limit-\(field)]", value)
            }
            try await b.click("[data-testid=project-submit]")
            let row = "[data-testid=project-row][data-name=\"\(projectName)\"]"
            try await b.waitUntil("the project with its quota bars") { try await !b.elements("\(row) [data-testid=quota-bar][data-resource=instances]").isEmpty }
            #expect(try await d.attribute("\(row) [data-testid=quota-bar][data-resource=instances]", "data-limit") == "1")
            #expect(try await d.attribute("\(row) [data-testid=quota-bar][data-resource=instances]", "data-used") == "0")
            try await b.click("\(row) button.link")
            _ = try await b.element("[data-testid=members-panel]")
            try await b.type("[data-testid=member-user]", "tenant@example.test")
            try await b.click("[data-testid=member-role] option[value=operator]")
            try await b.click("[data-testid=member-submit]")
            try await b.waitUntil("the tenant among the members") { try await !b.elements("[data-testid=member-row]").isEmpty }
            try await d.signOut()

            // The tenant: the project to create in, the quota checked while typing, a container
            // created and started; the next one would exceed the quota, and LXD says so.
            try await d.signIn(as: "tenant")
            #expect(try await b.elements("nav a[href=\"/clusters\"]").isEmpty)
            try await d.open("/instances")
            try await b.waitUntil("the create form for the tenant's project") { try await b.isDisplayed("[data-testid=create-panel]") }
            #expect(try await !b.isDisplayed("[data-testid=create-cluster]"), "a tenant creates in projects, not on clusters")
            try await b.type("[data-testid=create-name]", instance)
            try await b.type("[data-testid=create-cpu]", "1")
            try await b.type("[data-testid=create-memory]", "128MiB")
            try await b.type("[data-testid=create-disk]", "300MiB")
            let fits = try await b.waitFor("the quota check") {
                try await d.attribute("[data-testid=create-quota]", "data-fits") == "true" ? try await d.text("[data-testid=create-quota]") : nil
            }
            #expect(fits.contains("fits"), "\(fits)")
            try await b.click("[data-testid=create-submit]")
            let created = "[data-testid=instance-row][data-name=\"\(instance)\"]"
            try await b.waitUntil("the tenant's container, running", timeout: .seconds(90)) {
                try await d.text("\(created) [data-testid=instance-status]") == "Running"
            }

            // On the instance's own page, the operator gets the controls of running it.
            let clusterID = try #require(cluster["id"]?.string).lowercased()
            try await d.open("/instances/\(clusterID)/\(instance)?project=\(lxdProject)")
            try await b.waitUntil("the operator's controls") { try await b.isDisplayed("[data-testid=action-stop]") }
            #expect(try await b.isDisplayed("[data-testid=action-delete]"))
            #expect(try await b.isDisplayed("[data-testid=snapshot-form]"))
            try await d.open("/instances")
            try await b.waitUntil("the create form again") { try await b.isDisplayed("[data-testid=create-panel]") }

            try await b.type("[data-testid=create-name]", instance + "-2")
            let over = try await b.waitFor("the quota check saying it does not fit") {
                try await d.attribute("[data-testid=create-quota]", "data-fits") == "false" ? try await d.text("[data-testid=create-quota]") : nil
            }
            #expect(over.contains("limits.instances would be exceeded"), "\(over)")
            try await b.click("[data-testid=create-submit]")
            let refusal = try await b.waitFor("LXD's refusal beside the form") {
                try await b.isDisplayed("[data-testid=create-error]") ? try await d.text("[data-testid=create-error]") : nil
            }
            #expect(refusal.contains("limits.instances"), "\(refusal)")

            // The tenant's usage so far: a line and a bar for today on the Reports page, and the
            // month to date beside the project.
            try await d.open("/reports")
            try await b.waitUntil("the project's usage line") { try await d.names("[data-testid=usage-row]").contains(projectName) }
            let today = String(ISO8601DateFormatter().string(from: Date()).prefix(10))
            try await b.waitUntil("today's bar in the chart") { try await !b.elements("[data-testid=usage-bar][data-day=\"\(today)\"]").isEmpty }
            #expect(try await d.attribute("[data-testid=usage-csv]", "href")?.contains("format=csv") == true)
            try await b.waitUntil("this month's statement") { try await !b.elements("[data-testid=statement] [data-testid=statement-total]").isEmpty }
            try await d.open("/projects")
            try await b.waitUntil("the month to date beside the project") {
                try await d.text("[data-testid=project-row][data-name=\"\(projectName)\"] [data-testid=month-usage]")?.contains("vCPU-h") == true
            }

            // Undone through the API: the tenant's container, then the partner's project and organization.
            let (deleted, operation) = try await d.api("DELETE", "/api/v1/clusters/\(try #require(cluster["id"]?.string))/instances/\(instance)?project=\(lxdProject)&force=true")
            #expect(deleted == 202, "\(operation)")
            try await b.waitUntil("the container gone", timeout: .seconds(60)) {
                try await !LXDTestBed.lxc("a", ["list", "--project", lxdProject, "--format", "csv", "-c", "n"]).output.contains(instance)
            }
            try await d.signOut()
            try await d.signIn(as: "partner")
            // The partner prices their organizations: the statement shows the amount in EUR.
            try await d.open("/reports")
            try await b.waitUntil("the rates form with the organizations") { try await b.elements("[data-testid=rates-for] option").count > 1 }
            try await b.type("[data-testid=rates-currency]", "EUR")
            for (field, value) in [("vcpu", "0.05"), ("memory", "0.02"), ("disk", "0.01")] { try await b.type("[data-testid=rates-\(field)]", value) }
            try await b.click("[data-testid=rates-submit]")
            try await b.waitUntil("the statement priced in EUR") {
                try await d.text("[data-testid=statement][data-name=\"Tenants Inc \(suffix)\"] [data-testid=statement-total]")?.contains("EUR") == true
            }
            let (_, projects) = try await d.api("GET", "/api/v1/projects")
            for project in projects["items"]?.items ?? [] {
                #expect(try await d.api("DELETE", "/api/v1/projects/\(project["id"]?.string ?? "")").status == 204)
            }
            let (_, organizations) = try await d.api("GET", "/api/v1/organizations")
            for organization in organizations["items"]?.items ?? [] {
                #expect(try await d.api("DELETE", "/api/v1/organizations/\(organization["id"]?.string ?? "")").status == 204)
            }
        }
    }
}
