import Foundation
import Logging
import OrcastraModels
import OrcastraRuntime
import PostgresNIO

/// The `users` table as `GET /api/v1/users` reads it, within the caller's scope
/// (`Authorizer.userScope`).
struct UserStore: Sendable {
    let client: PostgresClient
    let logger: Logger

    private static let select = """
        SELECT u.id, u.subject, u.name, u.email, u.role, u.groups, u.disabled_at, u.disabled_reason, u.created_at, u.last_seen_at, u.synced_at
        FROM users u
        """

    /// The users in `scope` (only user `id`, when given): everyone, or (`.owner`) the caller and
    /// the members of the projects of the organizations the caller owns (`partner`: only a
    /// partner owns organizations).
    func list(in scope: Authorizer.ListScope, partner: Bool, id: UUID? = nil) async throws -> [UserInfo] {
        try await Self.users(try await self.client.boundedQuery(PostgresQuery(Self.select, """
            WHERE (\(id)::uuid IS NULL OR u.id = \(id)) AND (\(scope.everyone) OR u.id = \(scope.owner) OR (\(partner) AND EXISTS (
                SELECT 1 FROM project_members m JOIN projects p ON p.id = m.project_id JOIN organizations o ON o.id = p.organization_id
                WHERE m.user_id = u.id AND o.owner_id = \(scope.owner))))
            ORDER BY lower(coalesce(u.name, u.subject)), u.id
            """), logger: self.logger))
    }

    private static func users(_ rows: QueryRows) async throws -> [UserInfo] {
        try await rows.decode((UUID, String, String?, String?, String, [String], Date?, String?, Date, Date?, Date?).self).all().map {
            let (id, subject, name, email, role, groups, disabledAt, reason, created, seen, synced) = $0
            return UserInfo(id: id, subject: subject, name: name, email: email, role: Role(rawValue: role) ?? .tenant,
                            roleGroup: Role.grantingGroup(groups), groups: groups, disabled: disabledAt != nil, disabledAt: disabledAt,
                            disabledReason: reason, createdAt: created, lastSeenAt: seen, syncedAt: synced)
        }
    }
}
