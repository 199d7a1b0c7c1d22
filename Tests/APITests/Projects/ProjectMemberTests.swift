import Foundation
import HTTPTypes
import HummingbirdTesting
import Logging
import OrcastraModels
import OrcastraRuntime
import PostgresNIO
import Testing

@testable import OrcastraAPI

/// `/api/v1/projects/<id>/members` through the real router on a real PostgreSQL (the project
/// row is written directly: membership needs no cluster): the owner adds, changes and removes
/// members; a member sees the project with their role's rights and no more; everyone else
/// gets 404; every change is audited.
@Suite("Project members")
struct ProjectMemberTests {
    @Test("the owner invites a tenant as viewer, makes them operator, removes them; the tenant sees the project only meanwhile, and may not manage it")
    func membership() async throws {
        try await AuthHarness.run { h, client in
            let alice = try await OrganizationTests.user(h, client, "alice", .partner)
            let bob = try await OrganizationTests.user(h, client, "bob", .partner)
            let tina = try await OrganizationTests.user(h, client, "tina", .tenant)
            let (_, created) = try await client.call(.post, "/api/v1/organizations", bearer: alice.token, json: #"{"name":"Acme"}"#)
            let organization = try OrganizationTests.decode(Organization.self, created).id
            let project = UUID(), cluster = UUID()
            try await h.sql { sql in
                let logger = Logger(label: "test")
                try await sql.boundedQuery("""
                    INSERT INTO clusters (id, name, endpoint, server_fingerprint, client_fingerprint, owner_id)
                    VALUES (\(cluster), 'c', '127.0.0.1:1', \(String(repeating: "a", count: 64)), 'x', \(alice.id))
                    """, logger: logger)
                try await sql.boundedQuery("""
                    INSERT INTO projects (id, organization_id, cluster_id, name, lxd_project) VALUES (\(project), \(organization), \(cluster), 'Web', 'orc-web')
                    """, logger: logger)
            }
            let path = "/api/v1/projects/\(project.uuidString.lowercased())"
            #expect(try await client.call(.get, path, bearer: tina.token).0 == .notFound)

            let (added, addedBody) = try await client.call(.post, path + "/members", bearer: alice.token, json: #"{"user":"tina","role":"viewer"}"#)
            #expect(added == .created && (try? JSONCoding.decoder.decode(ProjectMember.self, from: addedBody))?.role == .viewer, "\(String(decoding: addedBody, as: UTF8.self))")
            #expect(try await client.call(.post, path + "/members", bearer: alice.token, json: #"{"user":"tina","role":"viewer"}"#).0 == .ok)
            let (seen, seenBody) = try await client.call(.get, path, bearer: tina.token)
            #expect(seen == .ok && (try? JSONCoding.decoder.decode(Project.self, from: seenBody))?.usageError != nil, "the cluster is fake: usage says why it is missing")
            let tinasProjects = try JSONCoding.decoder.decode(ListPage<Project>.self, from: try await client.call(.get, "/api/v1/projects", bearer: tina.token).1)
            #expect(tinasProjects.items.map(\.id) == [project])
            let (edit, editBody) = try await client.call(.patch, path, bearer: tina.token, json: #"{"name":"Mine"}"#)
            #expect(edit == .forbidden && editBody.errorMessage?.contains("viewer role does not hold can_edit") == true, "\(String(decoding: editBody, as: UTF8.self))")
            #expect(try await client.call(.post, path + "/members", bearer: tina.token, json: #"{"user":"bob","role":"viewer"}"#).0 == .forbidden)
            #expect(try await client.call(.get, path + "/members", bearer: bob.token).0 == .notFound)

            #expect(try await client.call(.post, path + "/members", bearer: alice.token, json: #"{"user":"tina","role":"operator"}"#).0 == .ok)
            let (explained, explainedBody) = try await client.call(
                .get, "/api/v1/access/explain?user=tina&entitlement=can_create_instances&resource=project:\(project.uuidString.lowercased())", bearer: alice.token)
            let explanation = try JSONCoding.decoder.decode(AccessExplanation.self, from: explainedBody)
            #expect(explained == .ok && explanation.allowed && explanation.because.joined().contains("operator"), "\(explanation)")
            let who = try JSONCoding.decoder.decode(AccessHolders.self, from: try await client.call(
                .get, "/api/v1/access/who?resource=project:\(project.uuidString.lowercased())", bearer: alice.token).1)
            #expect(who.holders.first { $0.userID == tina.id }?.entitlements.sorted() == ["can_create_instances", "can_manage_snapshots", "can_update_state", "can_view"])

            let members = try JSONCoding.decoder.decode(ListPage<ProjectMember>.self, from: try await client.call(.get, path + "/members", bearer: tina.token).1)
            #expect(members.items.map(\.userID) == [tina.id] && members.items.first?.role == .operator)

            for (json, code) in [(#"{"user":"nobody@example.com","role":"viewer"}"#, "unknown_user"), (#"{"user":"bob","role":"owner"}"#, "invalid_role")] {
                let (bad, badBody) = try await client.call(.post, path + "/members", bearer: alice.token, json: json)
                #expect(bad == .unprocessableContent && badBody.errorCode == code, "\(json) → \(bad)")
            }

            let member = path + "/members/\(tina.id.uuidString.lowercased())"
            #expect(try await client.call(.delete, member, bearer: alice.token).0 == .noContent)
            #expect(try await client.call(.delete, member, bearer: alice.token).0 == .notFound)
            #expect(try await client.call(.get, path, bearer: tina.token).0 == .notFound)

            let actions = try await h.sql { sql in
                try await sql.boundedQuery("SELECT action FROM audit_events WHERE action LIKE 'project.member%' ORDER BY seq", logger: Logger(label: "test"))
                    .decode(String.self).all()
            }
            #expect(actions == ["project.member_add", "project.member_update", "project.member_remove"])
        }
    }
}
