import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import OrcastraModels
import OrcastraRuntime
import OrcastraTestSupport
import Testing

@testable import OrcastraGateway

/// The cluster and instance pages: who gets which, what the templates carry for their
/// scripts, and that names from the URL reach the page only escaped.
@Suite("Cluster and instance pages")
struct ClusterPagesTests {
    func page(_ path: String, role: Role) async throws -> (HTTPResponse.Status, String) {
        try await makeGateway(apiURL: "http://127.0.0.1:9").test(.router) { client in
            let session = try await TestSessions.signIn(role: role)
            return try await client.execute(uri: path, method: .get, headers: [.cookie: session.cookie]) { response async throws in
                (response.status, String(buffer: response.body))
            }
        }
    }

    @Test("partners get the clusters page with its register form and script; tenants a 403 page and no Clusters link")
    func clusters() async throws {
        let (status, html) = try await self.page("/clusters", role: .partner)
        #expect(status == .ok)
        #expect(html.contains(#"id="register-form""#))
        #expect(html.contains(#"<script src="/static/js/clusters.js" defer></script>"#))
        #expect(html.contains(#"href="/clusters""#))
        let (refused, _) = try await self.page("/clusters", role: .tenant)
        #expect(refused == .forbidden)
        let (_, tenantHome) = try await self.page("/", role: .tenant)
        #expect(!tenantHome.contains(#"href="/clusters""#))
        #expect(tenantHome.contains(#"href="/instances""#))
    }

    @Test("everyone gets the projects page, partners with the organization and project forms; the users page is for partners and admins, its sync button for admins")
    func projectsAndUsers() async throws {
        let (status, partner) = try await self.page("/projects", role: .partner)
        #expect(status == .ok && partner.contains(#"id="organization-form""#) && partner.contains(#"id="project-form""#))
        #expect(partner.contains(#"<script src="/static/js/projects.js" defer></script>"#) && partner.contains(#"href="/users""#))
        let (tenantStatus, tenant) = try await self.page("/projects", role: .tenant)
        #expect(tenantStatus == .ok && !tenant.contains(#"id="organization-form""#) && !tenant.contains(#"id="project-form""#))
        #expect(tenant.contains(#"href="/projects""#) && !tenant.contains(#"href="/users""#))
        #expect(try await self.page("/users", role: .tenant).0 == .forbidden)
        let (_, partnerUsers) = try await self.page("/users", role: .partner)
        #expect(partnerUsers.contains(#"id="users""#) && !partnerUsers.contains(#"data-testid="users-sync""#))
        #expect(try await self.page("/users", role: .admin).1.contains(#"data-testid="users-sync""#))
    }

    @Test("the instances page has the create form and follows operations with the shared script")
    func instances() async throws {
        let (status, html) = try await self.page("/instances", role: .tenant)
        #expect(status == .ok)
        #expect(html.contains(#"id="create-form""#))
        #expect(html.contains("/static/js/operations.js"))
        #expect(html.contains("/static/js/instances.js"))
    }

    @Test("the instance page carries cluster, name and project for its script, escaped")
    func instance() async throws {
        let cluster = "0f8e1c52-4a57-4f57-9d39-3b1d8d0e2a11"
        let (status, html) = try await self.page("/instances/\(cluster)/web-1?project=%3Cb%3Ex", role: .partner)
        #expect(status == .ok)
        #expect(html.contains(#"data-cluster="\#(cluster)""#))
        #expect(html.contains(#"data-name="web-1""#))
        #expect(html.contains("&lt;b&gt;x"))
        #expect(!html.contains("<b>x"))
        let (bad, _) = try await self.page("/instances/not-a-uuid/web-1", role: .partner)
        #expect(bad == .badRequest)
    }

    @Test("every page script the templates name is served", arguments: ["clusters.js", "instances.js", "instance.js", "operations.js"])
    func scripts(file: String) async throws {
        try await makeGateway(apiURL: "http://127.0.0.1:9").test(.router) { client in
            try await client.execute(uri: "/static/js/\(file)", method: .get) { response async throws in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).contains("use strict"))
            }
        }
    }
}
