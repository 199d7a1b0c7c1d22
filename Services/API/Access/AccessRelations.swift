import Foundation
import Logging
import OrcastraModels
import PostgresNIO

/// The relations the `Authorizer` decides from, read from PostgreSQL when a decision needs
/// them: who owns a cluster or an organization, whose organization a project is, who started an
/// operation and where.
struct AccessRelations: Sendable {
    let client: PostgresClient
    let logger: Logger

    /// A resource that exists, and the user it belongs to (none: registered by the system,
    /// so only admins reach it).
    struct Owned: Sendable, Equatable {
        var owner: UUID?
    }

    func cluster(_ id: UUID) async throws -> Owned? {
        let rows = try await self.client.boundedQuery("SELECT owner_id FROM clusters WHERE id = \(id)", logger: self.logger)
        return try await rows.decode(UUID?.self).all().first.map(Owned.init)
    }

    func organization(_ id: UUID) async throws -> Owned? {
        let rows = try await self.client.boundedQuery("SELECT owner_id FROM organizations WHERE id = \(id)", logger: self.logger)
        return try await rows.decode(UUID.self).all().first.map(Owned.init)
    }

    /// A project's organization owner (who holds it) and cluster.
    struct Project: Sendable {
        var id: UUID
        var organizationOwner: UUID
        var cluster: UUID
    }

    func project(_ id: UUID) async throws -> Project? {
        try await self.projects(where: "p.id = \(id)").first
    }

    /// The project that is LXD project `lxdProject` on `cluster`, if Orcastra made one: the
    /// way from an instance or an operation (which LXD names by its LXD project) to the
    /// project's owner and members.
    func project(on cluster: UUID, lxdProject: String) async throws -> Project? {
        try await self.projects(where: "p.cluster_id = \(cluster) AND p.lxd_project = \(lxdProject)").first
    }

    /// Where in a project a user reaches: all its instances, or only those granted to them.
    struct ProjectReach: Sendable, Equatable {
        var project: UUID
        /// nil: every instance of the project.
        var instances: Set<String>?
    }

    /// The projects `user` reaches as owner of their organization (`asOwner`, for partners), as
    /// a member, or through grants on some of their instances: by cluster and LXD project.
    func lxdProjects(of user: UUID, asOwner: Bool) async throws -> [UUID: [String: ProjectReach]] {
        let rows = try await self.client.boundedQuery("""
            SELECT p.cluster_id, p.lxd_project, p.id, NULL::text FROM projects p JOIN organizations o ON o.id = p.organization_id
            WHERE (\(asOwner) AND o.owner_id = \(user))
               OR EXISTS (SELECT 1 FROM project_members m WHERE m.project_id = p.id AND m.user_id = \(user))
            UNION ALL
            SELECT p.cluster_id, p.lxd_project, p.id, g.instance FROM instance_grants g JOIN projects p ON p.id = g.project_id
            WHERE g.user_id = \(user)
            """, logger: self.logger)
        var reach: [UUID: [String: ProjectReach]] = [:]
        for (cluster, lxdProject, id, instance) in try await rows.decode((UUID, String, UUID, String?).self).all() {
            var entry = reach[cluster]?[lxdProject] ?? ProjectReach(project: id, instances: [])
            // The whole project wins over single instances.
            if let instance { entry.instances?.insert(instance) } else { entry.instances = nil }
            reach[cluster, default: [:]][lxdProject] = entry
        }
        return reach
    }

    /// The role `user` was granted on instance `instance` of LXD project `lxdProject` of `cluster`.
    func grant(of user: UUID, on cluster: UUID, lxdProject: String, instance: String) async throws -> ProjectRole? {
        let rows = try await self.client.boundedQuery("""
            SELECT g.role FROM instance_grants g JOIN projects p ON p.id = g.project_id
            WHERE p.cluster_id = \(cluster) AND p.lxd_project = \(lxdProject) AND g.instance = \(instance) AND g.user_id = \(user)
            """, logger: self.logger)
        return try await rows.decode(String.self).all().first.flatMap(ProjectRole.init(rawValue:))
    }

    /// Who holds grants on an instance.
    private func grantees(on cluster: UUID, lxdProject: String, instance: String) async throws -> [UUID] {
        try await self.client.boundedQuery("""
            SELECT g.user_id FROM instance_grants g JOIN projects p ON p.id = g.project_id
            WHERE p.cluster_id = \(cluster) AND p.lxd_project = \(lxdProject) AND g.instance = \(instance)
            """, logger: self.logger).decode(UUID.self).all()
    }

    private func projects(where condition: PostgresQuery) async throws -> [Project] {
        let rows = try await self.client.boundedQuery(PostgresQuery(
            "SELECT p.id, o.owner_id, p.cluster_id FROM projects p JOIN organizations o ON o.id = p.organization_id WHERE", condition), logger: self.logger)
        return try await rows.decode((UUID, UUID, UUID).self).all().map { Project(id: $0.0, organizationOwner: $0.1, cluster: $0.2) }
    }

    /// The role `user` has in project `id`, if they are a member.
    func membership(of user: UUID, in id: UUID) async throws -> ProjectRole? {
        let rows = try await self.client.boundedQuery(
            "SELECT role FROM project_members WHERE project_id = \(id) AND user_id = \(user)", logger: self.logger)
        return try await rows.decode(String.self).all().first.flatMap(ProjectRole.init(rawValue:))
    }

    /// A user as the authorizer sees them (their role as their latest sign-in gave it), found
    /// by id, subject or e-mail address; nil when there is none or they are disabled.
    func user(_ reference: String) async throws -> Identity? {
        let rows = try await self.client.boundedQuery(PostgresQuery(Self.users, """
            WHERE disabled_at IS NULL AND (id::text = lower(\(reference)) OR subject = \(reference) OR lower(email) = lower(\(reference)))
            ORDER BY id::text = lower(\(reference)) DESC, subject = \(reference) DESC LIMIT 1
            """), logger: self.logger)
        return try await Self.identities(rows).first
    }

    /// Everyone who might hold an entitlement on `resource` through a relation: the admins (and,
    /// on the server, the partners), and whoever owns it (or its organization or cluster), is a
    /// member of it, or started it.
    func candidates(for resource: AccessResource) async throws -> [Identity] {
        var related: [UUID] = []
        switch resource {
        case .server: break
        case .organization(let id): related += try await self.organization(id)?.owner.map { [$0] } ?? []
        case .project(let id): related += try await self.people(of: try await self.project(id))
        case .cluster(let id): related += try await self.cluster(id)?.owner.map { [$0] } ?? []
        case .instance(let id, let lxdProject, let name):
            related += try await self.cluster(id)?.owner.map { [$0] } ?? []
            related += try await self.people(of: try await self.project(on: id, lxdProject: lxdProject))
            related += try await self.grantees(on: id, lxdProject: lxdProject, instance: name)
        case .operation(let id):
            if let operation = try await self.operation(id) {
                related += [operation.startedBy].compactMap { $0 } + (try await self.cluster(operation.cluster)?.owner.map { [$0] } ?? [])
                related += try await self.people(of: try await self.project(on: operation.cluster, lxdProject: operation.lxdProject))
                related += try await self.grantees(on: operation.cluster, lxdProject: operation.lxdProject, instance: operation.instance)
            }
        }
        // On the server, every partner holds the partner role's server rights.
        let partners = resource == .server
        let rows = try await self.client.boundedQuery(PostgresQuery(Self.users, """
            WHERE disabled_at IS NULL AND (role = 'admin' OR (\(partners) AND role = 'partner') OR id = ANY(\(related))) ORDER BY name, id
            """), logger: self.logger)
        return try await Self.identities(rows)
    }

    /// A project's organization owner and members.
    private func people(of project: Project?) async throws -> [UUID] {
        guard let project else { return [] }
        let members = try await self.client.boundedQuery("SELECT user_id FROM project_members WHERE project_id = \(project.id)", logger: self.logger)
        return [project.organizationOwner] + (try await members.decode(UUID.self).all())
    }

    private static let users = "SELECT id, subject, name, email, role, groups FROM users"

    private static func identities(_ rows: QueryRows) async throws -> [Identity] {
        try await rows.decode((UUID, String, String?, String?, String, [String]).self).all().map {
            Identity(id: $0.0, subject: $0.1, name: $0.2, email: $0.3, role: Role(rawValue: $0.4) ?? .tenant, groups: $0.5, authMethod: .token)
        }
    }

    /// Who started an operation (none: the system), on which cluster, in which LXD project, on
    /// which instance.
    struct Operation: Sendable {
        var startedBy: UUID?
        var cluster: UUID
        var lxdProject: String
        var instance: String
    }

    func operation(_ id: UUID) async throws -> Operation? {
        let rows = try await self.client.boundedQuery("SELECT created_by, cluster_id, project, instance FROM operations WHERE id = \(id)", logger: self.logger)
        return try await rows.decode((UUID?, UUID, String, String).self).all().first.map {
            Operation(startedBy: $0.0, cluster: $0.1, lxdProject: $0.2, instance: $0.3)
        }
    }
}
