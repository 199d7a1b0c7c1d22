import Foundation
import Logging
import OrcastraModels
import OrcastraRuntime
import OrcastraTestSupport
import PostgresNIO
import Testing

@testable import OrcastraAPI

/// The authorizer's rules, decided from rows in a real PostgreSQL: who owns a cluster, who
/// started an operation.
@Suite("Authorizer")
struct AuthorizerTests {
    static func identity(_ id: UUID, _ role: Role) -> Identity {
        Identity(id: id, subject: "s-\(id)", name: nil, email: nil, role: role, groups: [], authMethod: .token)
    }

    @Test("admin everything; a partner its own cluster, its instances and operations; others 404; server rights by role; the starter sees an operation")
    func rules() async throws {
        try await withMigratedDatabase { client, _ in
            let logger = Logger(label: "test")
            let (admin, owner, other, tenant) = (UUID(), UUID(), UUID(), UUID())
            for (id, role) in [(admin, "admin"), (owner, "partner"), (other, "partner"), (tenant, "tenant")] {
                try await client.boundedQuery("INSERT INTO users (id, subject, role) VALUES (\(id), \("s-\(id)"), \(role))", logger: logger)
            }
            let cluster = UUID(), operation = UUID()
            try await client.boundedQuery("""
                INSERT INTO clusters (id, name, endpoint, server_fingerprint, client_fingerprint, owner_id)
                VALUES (\(cluster), 'a', '127.0.0.1:8443', \(String(repeating: "a", count: 64)), 'x', \(owner))
                """, logger: logger)
            try await client.boundedQuery("""
                INSERT INTO operations (id, cluster_id, action, project, instance, created_by)
                VALUES (\(operation), \(cluster), 'instance.start', 'default', 'c1', \(tenant))
                """, logger: logger)
            let organization = UUID(), project = UUID()
            try await client.boundedQuery("INSERT INTO organizations (id, name, owner_id) VALUES (\(organization), 'Acme', \(owner))", logger: logger)
            try await client.boundedQuery("""
                INSERT INTO projects (id, organization_id, cluster_id, name, lxd_project) VALUES (\(project), \(organization), \(cluster), 'Web', 'orc-web')
                """, logger: logger)
            let authorizer = Authorizer(relations: AccessRelations(client: client, logger: logger))
            func decide(_ who: UUID, _ role: Role, _ entitlement: Entitlement, _ resource: AccessResource) async throws -> AccessDecision {
                try await authorizer.decide(Self.identity(who, role), entitlement, on: resource)
            }
            let instance = AccessResource.instance(cluster: cluster, project: "default", name: "c1")

            for resource in [AccessResource.server, .cluster(cluster), instance, .operation(operation), .cluster(UUID())] {
                #expect(try await decide(admin, .admin, .canDelete, resource).allowed, "admin on \(resource)")
            }
            for entitlement in [Entitlement.canView, .canEdit, .canDelete, .canCreateInstances] {
                let decision = try await decide(owner, .partner, entitlement, .cluster(cluster))
                #expect(decision.allowed && decision.because.contains { $0.contains("owns cluster") }, "owner: \(decision)")
            }
            #expect(try await decide(owner, .partner, .canUpdateState, instance).allowed)
            #expect(try await decide(owner, .partner, .canView, .operation(operation)).allowed)

            let stranger = try await decide(other, .partner, .canView, .cluster(cluster))
            #expect(!stranger.allowed && !stranger.visible, "another partner must get a 404: \(stranger)")
            #expect(try await !decide(other, .partner, .canUpdateState, instance).visible)
            #expect(try await !decide(tenant, .tenant, .canView, .cluster(cluster)).visible)
            // The owner demoted to tenant loses the cluster.
            #expect(try await !decide(owner, .tenant, .canView, .cluster(cluster)).allowed)
            #expect(try await !decide(owner, .partner, .canView, .cluster(UUID())).visible, "a cluster that does not exist is a 404")

            let ownProject = try await decide(owner, .partner, .canEdit, .project(project))
            #expect(ownProject.allowed && ownProject.because.joined().contains("owns the organization of project"), "\(ownProject)")
            #expect(try await decide(owner, .partner, .canCreateProjects, .organization(organization)).allowed)
            #expect(try await !decide(other, .partner, .canView, .project(project)).visible)
            #expect(try await !decide(other, .partner, .canCreateProjects, .organization(organization)).visible)
            #expect(try await !decide(tenant, .tenant, .canView, .project(project)).visible)

            #expect(try await decide(tenant, .tenant, .canView, .operation(operation)).allowed, "the starter sees the operation")
            #expect(try await !decide(other, .partner, .canView, .operation(operation)).visible)

            #expect(try await decide(owner, .partner, .canManageClusters, .server).allowed)
            let audit = try await decide(owner, .partner, .canViewAuditLog, .server)
            #expect(!audit.allowed && audit.visible && audit.because.joined().contains("Admin role"), "\(audit)")
            #expect(try await !decide(tenant, .tenant, .canManageClusters, .server).allowed)

            #expect(authorizer.ownerScope(Self.identity(admin, .admin)) == .everyone)
            #expect(authorizer.ownerScope(Self.identity(owner, .partner)) == .owner(owner))
            #expect(authorizer.ownerScope(Self.identity(tenant, .tenant)) == .nothing)
            #expect(authorizer.ownScope(Self.identity(tenant, .tenant)) == .owner(tenant))
        }
    }

    @Test("a refusal is a 404 where existence must not leak, a 403 naming the entitlement otherwise")
    func refusals() async throws {
        try await withMigratedDatabase { client, _ in
            let authorizer = Authorizer(relations: AccessRelations(client: client, logger: Logger(label: "test")))
            let partner = Self.identity(UUID(), .partner)
            let hidden = await #expect(throws: APIError.self) { try await authorizer.require(partner, .canView, on: .cluster(UUID())) }
            #expect(hidden?.status == .notFound)
            let refused = await #expect(throws: APIError.self) { try await authorizer.require(partner, .canViewSecrets, on: .server) }
            #expect(refused?.status == .forbidden)
            #expect(refused?.message.contains("can_view_secrets") == true, "\(String(describing: refused?.message))")
        }
    }
}
