import Foundation
import HTTPTypes
import HummingbirdTesting
import OrcastraModels
import OrcastraRuntime
import Testing

@testable import OrcastraAPI

/// `/access/explain` and `/access/who` through the real router: the authorizer's answer for
/// someone else, with its reasons, to admins and owning partners only.
@Suite("Access explain and who")
struct AccessExplainTests {
    @Test("explain gives the decision and its chain of reasons; who lists the holders; only admins and the owner may ask; bad input is a 400")
    func explainAndWho() async throws {
        try await AuthHarness.run { h, client in
            let alice = try await OrganizationTests.user(h, client, "alice", .partner)
            let bob = try await OrganizationTests.user(h, client, "bob", .partner)
            let tina = try await OrganizationTests.user(h, client, "tina", .tenant)
            let root = try await OrganizationTests.user(h, client, "root", .admin)
            let (_, created) = try await client.call(.post, "/api/v1/organizations", bearer: alice.token, json: #"{"name":"Acme"}"#)
            let organization = "organization:" + (try OrganizationTests.decode(Organization.self, created)).id.uuidString.lowercased()

            func explain(_ bearer: String, user: String, _ entitlement: String, _ resource: String) async throws -> (HTTPResponse.Status, Data) {
                try await client.call(.get, "/api/v1/access/explain?user=\(user)&entitlement=\(entitlement)&resource=\(resource)", bearer: bearer)
            }
            let (status, body) = try await explain(root.token, user: alice.id.uuidString, "can_edit", organization)
            let owner = try JSONCoding.decoder.decode(AccessExplanation.self, from: body)
            #expect(status == .ok && owner.allowed && owner.because.joined().contains("owns \(organization.replacingOccurrences(of: ":", with: " "))"),
                    "\(String(decoding: body, as: UTF8.self))")
            // By subject, asked by the owner: the tenant holds nothing there, and why.
            let (_, tenantBody) = try await explain(alice.token, user: "tina", "can_view", organization)
            let tenant = try JSONCoding.decoder.decode(AccessExplanation.self, from: tenantBody)
            #expect(!tenant.allowed && tenant.userID == tina.id && tenant.because.joined().contains("someone else"), "\(tenant)")

            #expect(try await explain(bob.token, user: "tina", "can_view", organization).0 == .notFound, "another partner may not ask")
            #expect(try await explain(tina.token, user: "alice", "can_view", organization).0 == .notFound, "a tenant may not ask")
            #expect(try await explain(alice.token, user: "bob", "can_view_audit_log", "server").0 == .forbidden, "the server's access is the admins'")
            let (adminServer, adminServerBody) = try await explain(root.token, user: "bob", "can_manage_clusters", "server")
            #expect(try adminServer == .ok && JSONCoding.decoder.decode(AccessExplanation.self, from: adminServerBody).allowed)

            let (whoStatus, whoBody) = try await client.call(.get, "/api/v1/access/who?resource=\(organization)", bearer: alice.token)
            let who = try JSONCoding.decoder.decode(AccessHolders.self, from: whoBody)
            #expect(whoStatus == .ok && Set(who.holders.map(\.userID)) == [alice.id, root.id], "\(String(decoding: whoBody, as: UTF8.self))")
            #expect(who.holders.first { $0.userID == alice.id }?.entitlements.contains("can_create_projects") == true)

            for (query, code) in [("user=alice&entitlement=can_view&resource=bogus", "invalid_resource"),
                                  ("user=alice&entitlement=can_fly&resource=\(organization)", "invalid_entitlement"),
                                  ("entitlement=can_view&resource=\(organization)", "invalid_user")] {
                let (bad, badBody) = try await client.call(.get, "/api/v1/access/explain?\(query)", bearer: root.token)
                #expect(bad == .badRequest && badBody.errorCode == code, "\(query) → \(bad) \(badBody.errorCode ?? "")")
            }
            let (unknown, unknownBody) = try await explain(root.token, user: "nobody@example.com", "can_view", organization)
            #expect(unknown == .notFound && unknownBody.errorMessage?.contains("nobody@example.com") == true)
        }
    }
}
