import Foundation
import Logging
import OrcastraModels
import OrcastraRuntime
import PostgresNIO

/// The `project_members` table: who works in a project and as what. Every change is audited
/// with the role before and after.
struct ProjectMemberStore: Sendable {
    let client: PostgresClient
    let audit: AuditTrail
    let logger: Logger

    func list(_ project: UUID) async throws -> [ProjectMember] {
        let rows = try await self.client.boundedQuery("""
            SELECT m.user_id, u.name, u.email, m.role, m.created_at FROM project_members m JOIN users u ON u.id = m.user_id
            WHERE m.project_id = \(project) ORDER BY u.name, m.user_id
            """, logger: self.logger)
        return try await rows.decode((UUID, String?, String?, String, Date).self).all().map {
            ProjectMember(userID: $0.0, userName: $0.1, email: $0.2, role: ProjectRole(rawValue: $0.3) ?? .viewer, addedAt: $0.4)
        }
    }

    /// Adds `user` as `role`, or changes their role; answers whether they were new.
    func put(_ user: Identity, as role: ProjectRole, in project: UUID, by actor: Identity, requestID: String?) async throws -> Bool {
        try await self.audit.record(client: self.client, logger: self.logger) { transaction in
            let rows = try await transaction.query(
                "SELECT role FROM project_members WHERE project_id = \(project) AND user_id = \(user.id) FOR UPDATE", logger: self.logger)
            let before = try await rows.decode(String.self).all().first
            guard before != role.rawValue else { return (false, nil) }
            try await transaction.query("""
                INSERT INTO project_members (project_id, user_id, role, added_by) VALUES (\(project), \(user.id), \(role.rawValue), \(actor.id))
                ON CONFLICT (project_id, user_id) DO UPDATE SET role = EXCLUDED.role
                """, logger: self.logger)
            return (before == nil, AuditEvent(
                action: before == nil ? "project.member_add" : "project.member_update", category: "tenancy", actor: .init(actor),
                target: .init(type: "project", id: project.uuidString.lowercased()), details: ["user_id": user.id.uuidString.lowercased()],
                requestID: requestID, before: before.map { ["role": $0] }, after: ["role": role.rawValue]))
        }
    }

    /// False when `user` was not a member.
    func remove(_ user: UUID, from project: UUID, by actor: Identity, requestID: String?) async throws -> Bool {
        try await self.audit.record(client: self.client, logger: self.logger) { transaction in
            let rows = try await transaction.query(
                "DELETE FROM project_members WHERE project_id = \(project) AND user_id = \(user) RETURNING role", logger: self.logger)
            guard let before = try await rows.decode(String.self).all().first else { return (false, nil) }
            return (true, AuditEvent(
                action: "project.member_remove", category: "tenancy", actor: .init(actor),
                target: .init(type: "project", id: project.uuidString.lowercased()), details: ["user_id": user.uuidString.lowercased()],
                requestID: requestID, before: ["role": before]))
        }
    }
}
