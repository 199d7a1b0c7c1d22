import Foundation
import Logging
import OrcastraModels
import OrcastraRuntime
import PostgresNIO

/// The `projects` table. Rows are written inside audited transactions; who may see which is
/// the `Authorizer`'s to say (lists take its scope).
struct ProjectStore: Sendable {
    let client: PostgresClient
    let logger: Logger

    private static let select = """
        SELECT p.id, p.organization_id, o.name, p.cluster_id, c.name, p.name, p.description, p.lxd_project,
               p.limit_instances, p.limit_cpu, p.limit_memory, p.limit_disk, p.created_at, p.updated_at
        FROM projects p JOIN organizations o ON o.id = p.organization_id JOIN clusters c ON c.id = p.cluster_id
        """

    /// Projects in `scope` (`Authorizer.projectScope`: the organization's owner, or a member),
    /// by name.
    func list(in scope: Authorizer.ListScope, organization: UUID? = nil) async throws -> [Project] {
        try await Self.projects(try await self.client.boundedQuery(PostgresQuery(Self.select, """
            WHERE (\(scope.everyone) OR o.owner_id = \(scope.owner)
                   OR EXISTS (SELECT 1 FROM project_members m WHERE m.project_id = p.id AND m.user_id = \(scope.owner))) AND (\(organization)::uuid IS NULL OR p.organization_id = \(organization))
            ORDER BY lower(p.name), p.id
            """), logger: self.logger))
    }

    /// What `user` is to each of `projects`: `owner` of its organization, or their member role.
    func roles(of user: UUID, in projects: [UUID]) async throws -> [UUID: String] {
        let rows = try await self.client.boundedQuery("""
            SELECT p.id, CASE WHEN o.owner_id = \(user) THEN 'owner' ELSE m.role END
            FROM projects p JOIN organizations o ON o.id = p.organization_id
            LEFT JOIN project_members m ON m.project_id = p.id AND m.user_id = \(user)
            WHERE p.id = ANY(\(projects))
            """, logger: self.logger)
        var roles: [UUID: String] = [:]
        for (id, role) in try await rows.decode((UUID, String?).self).all() { roles[id] = role }
        return roles
    }

    func find(_ id: UUID) async throws -> Project? {
        try await Self.projects(try await self.client.boundedQuery(PostgresQuery(Self.select, "WHERE p.id = \(id)"), logger: self.logger)).first
    }

    /// The project a route names (the route has checked the caller's right to it).
    func get(_ id: UUID) async throws -> Project {
        guard let project = try await self.find(id) else { throw Self.notFound(id) }
        return project
    }

    /// Whether a project of `organization` is already called `name` (ignoring case), or one on
    /// `cluster` already uses `lxdProject`, other than `except`: a 409 saying which.
    func checkFree(name: String?, organization: UUID, lxdProject: String?, cluster: UUID, except: UUID? = nil) async throws {
        let rows = try await self.client.boundedQuery("""
            SELECT lower(name) = lower(\(name ?? "")) AND organization_id = \(organization), lxd_project = \(lxdProject ?? "") AND cluster_id = \(cluster)
            FROM projects WHERE (\(except)::uuid IS NULL OR id <> \(except))
              AND ((lower(name) = lower(\(name ?? "")) AND organization_id = \(organization)) OR (lxd_project = \(lxdProject ?? "") AND cluster_id = \(cluster)))
            """, logger: self.logger)
        for (nameTaken, lxdTaken) in try await rows.decode((Bool, Bool).self).all() {
            if nameTaken { throw Self.nameTaken(name ?? "") }
            if lxdTaken { throw Self.lxdProjectTaken(lxdProject ?? "") }
        }
    }

    /// The project's own LXD certificate, if it has one.
    func certificate(of id: UUID) async throws -> ClusterService.RestrictedCertificate? {
        let rows = try await self.client.boundedQuery("SELECT client_fingerprint, client_serial FROM projects WHERE id = \(id)", logger: self.logger)
        return try await rows.decode((String?, String?).self).all().first.flatMap { fingerprint, serial in
            guard let fingerprint, let serial else { return nil }
            return ClusterService.RestrictedCertificate(fingerprint: fingerprint, serial: serial)
        }
    }

    func insert(_ project: Project, certificate: ClusterService.RestrictedCertificate, on transaction: DatabaseTransaction) async throws {
        let limits = project.limits
        try await transaction.query("""
            INSERT INTO projects (id, organization_id, cluster_id, name, description, lxd_project, limit_instances, limit_cpu, limit_memory, limit_disk,
                                  client_fingerprint, client_serial)
            VALUES (\(project.id), \(project.organizationID), \(project.clusterID), \(project.name), \(project.description), \(project.lxdProject),
                    \(limits.instances), \(limits.cpu), \(limits.memory), \(limits.disk), \(certificate.fingerprint), \(certificate.serial))
            """, logger: self.logger)
    }

    func update(_ project: Project, on transaction: DatabaseTransaction) async throws {
        let limits = project.limits
        try await transaction.query("""
            UPDATE projects SET name = \(project.name), description = \(project.description), limit_instances = \(limits.instances),
                   limit_cpu = \(limits.cpu), limit_memory = \(limits.memory), limit_disk = \(limits.disk), updated_at = now()
            WHERE id = \(project.id)
            """, logger: self.logger)
    }

    func delete(_ id: UUID, on transaction: DatabaseTransaction) async throws {
        try await transaction.query("DELETE FROM projects WHERE id = \(id)", logger: self.logger)
    }

    static func notFound(_ id: UUID) -> APIError {
        APIError(.notFound, code: "not_found", message: "no project \(id.uuidString.lowercased())")
    }

    static func nameTaken(_ name: String) -> APIError {
        APIError(.conflict, code: "name_taken", message: "this organization already has a project named '\(name)' (names are compared ignoring case)")
    }

    static func lxdProjectTaken(_ name: String) -> APIError {
        APIError(.conflict, code: "lxd_project_taken", message: "a project on this cluster already uses the LXD project '\(name)'")
    }

    private static func projects(_ rows: QueryRows) async throws -> [Project] {
        var projects: [Project] = []
        for try await (id, organization, organizationName, cluster, clusterName, name, description, lxd, instances, cpu, memory, disk, created, updated)
            in rows.decode((UUID, UUID, String, UUID, String, String, String, String, Int?, Int?, String?, String?, Date, Date).self) {
            projects.append(Project(id: id, organizationID: organization, organizationName: organizationName, clusterID: cluster,
                                    clusterName: clusterName, name: name, description: description, lxdProject: lxd,
                                    limits: ProjectLimits(instances: instances, cpu: cpu, memory: memory, disk: disk),
                                    createdAt: created, updatedAt: updated))
        }
        return projects
    }
}
