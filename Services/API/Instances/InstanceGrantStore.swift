import Foundation
import Logging
import OrcastraModels
import OrcastraRuntime
import PostgresNIO

/// The `instance_grants` table: who may work with one instance without being a member of its
/// project, and as what (a project role, on that instance only). Every change is audited with
/// the role before and after.
struct InstanceGrantStore: Sendable {
    let client: PostgresClient
    let audit: AuditTrail
    let logger: Logger

    /// The grants on `instance` of project `project`, in the shape of project members.
    func list(_ project: UUID, instance: String) async throws -> [ProjectMember] {
        let rows = try await self.client.boundedQuery("""
            SELECT g.user_id, u.name, u.email, g.role, g.created_at FROM instance_grants g JOIN users u ON u.id = g.user_id
            WHERE g.project_id = \(project) AND g.instance = \(instance) ORDER BY u.name, g.user_id
            """, logger: self.logger)
        return try await rows.decode((UUID, String?, String?, String, Date).self).all().map {
            ProjectMember(userID: $0.0, userName: $0.1, email: $0.2, role: ProjectRole(rawValue: $0.3) ?? .viewer, addedAt: $0.4)
        }
    }

    /// Grants `role` to `user`, or changes it; answers whether the grant is new.
    func put(_ user: Identity, as role: ProjectRole, on instance: String, of project: UUID, by actor: Identity, target: AuditTarget,
             requestID: String?) async throws -> Bool {
        try await self.audit.record(client: self.client, logger: self.logger) { transaction in
            let rows = try await transaction.query("""
                SELECT role FROM instance_grants WHERE project_id = \(project) AND instance = \(instance) AND user_id = \(user.id) FOR UPDATE
                """, logger: self.logger)
            let before = try await rows.decode(String.self).all().first
            guard before != role.rawValue else { return (false, nil) }
            try await transaction.query("""
                INSERT INTO instance_grants (project_id, instance, user_id, role, added_by) VALUES (\(project), \(instance), \(user.id), \(role.rawValue), \(actor.id))
                ON CONFLICT (project_id, instance, user_id) DO UPDATE SET role = EXCLUDED.role
                """, logger: self.logger)
            return (before == nil, AuditEvent(
                action: before == nil ? "instance.grant_add" : "instance.grant_update", category: "tenancy", actor: .init(actor), target: target,
                details: ["user_id": user.id.uuidString.lowercased()], requestID: requestID, before: before.map { ["role": $0] }, after: ["role": role.rawValue]))
        }
    }

    /// False when `user` had no grant.
    func remove(_ user: UUID, on instance: String, of project: UUID, by actor: Identity, target: AuditTarget, requestID: String?) async throws -> Bool {
        try await self.audit.record(client: self.client, logger: self.logger) { transaction in
            let rows = try await transaction.query(
                "DELETE FROM instance_grants WHERE project_id = \(project) AND instance = \(instance) AND user_id = \(user) RETURNING role", logger: self.logger)
            guard let before = try await rows.decode(String.self).all().first else { return (false, nil) }
            return (true, AuditEvent(action: "instance.grant_remove", category: "tenancy", actor: .init(actor), target: target,
                                     details: ["user_id": user.uuidString.lowercased()], requestID: requestID, before: ["role": before]))
        }
    }

    /// Every grant on an instance that is being deleted (a later one of the same name starts
    /// with none); the instance's deletion is audited, and with it this.
    func dropAll(on instance: String, of project: UUID) async throws {
        try await self.client.boundedQuery("DELETE FROM instance_grants WHERE project_id = \(project) AND instance = \(instance)", logger: self.logger)
    }
}
