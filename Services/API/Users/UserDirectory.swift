import Foundation
import Hummingbird
import OrcastraRuntime
import Logging
import OrcastraModels
import PostgresNIO
import Synchronization

/// The `users` table as authentication sees it: upserted when a token's subject is seen,
/// read when an API key acts for its owner.
///
/// Every request carries a token, so writes are skipped while nothing changed and the last
/// write is under a minute old; a new user (`user.create`) and the first sight of a changed
/// role (`user.role_changed`) are written at once and audited. A disabled user (`disabled_at`,
/// set by the directory sync) is never kept here, and the sync forgets the users it changes,
/// so a disabled user's next request finds the row and is refused.
final class UserDirectory: Sendable {
    struct User: Sendable, Equatable {
        var id: UUID
        var subject: String
        var name: String?
        var email: String?
        var role: Role
        var groups: [String]
        /// Refused on every request (`users.disabled_at`).
        var disabled = false
    }

    let client: PostgresClient
    let audit: AuditTrail
    let logger: Logger
    private let recent = Mutex<[String: (user: User, written: ContinuousClock.Instant)]>([:])
    static let rewriteAfter: Duration = .seconds(60)

    init(client: PostgresClient, audit: AuditTrail, logger: Logger) {
        self.client = client
        self.audit = audit
        self.logger = logger
    }

    /// The user a verified token names, created or brought up to date.
    func sawToken(subject: String, name: String?, email: String?, role: Role, groups: [String], requestID: String?) async throws -> User {
        let now = ContinuousClock.now
        if let cached = self.recent.withLock({ $0[subject] }),
           cached.user.name == name, cached.user.email == email, cached.user.role == role, cached.user.groups == groups,
           now - cached.written < Self.rewriteAfter {
            return cached.user
        }
        // One transaction for the upsert and its audit row; the row lock makes concurrent first
        // requests of one user wait for each other, so each change is audited exactly once.
        let user: User = try await self.audit.record(client: self.client, logger: self.logger) { connection in
            let previous = try await connection.query(
                "SELECT role FROM users WHERE subject = \(subject) FOR UPDATE", logger: self.logger).decode(String.self).all().first
            let rows = try await connection.query(
                """
                INSERT INTO users (subject, name, email, role, groups) VALUES (\(subject), \(name), \(email), \(role.rawValue), \(groups))
                ON CONFLICT (subject) DO UPDATE SET name = EXCLUDED.name, email = EXCLUDED.email, role = EXCLUDED.role,
                    groups = EXCLUDED.groups, last_seen_at = now()
                RETURNING id, disabled_at IS NOT NULL
                """, logger: self.logger)
            guard let (id, disabled) = try await rows.decode((UUID, Bool).self).all().first else {
                throw APIError(.internalServerError, code: "internal_error", message: "the user record could not be written")
            }
            let user = User(id: id, subject: subject, name: name, email: email, role: role, groups: groups, disabled: disabled)
            // First sight creates the user; a different role than last time is what auditors look for.
            let event: AuditEvent? = switch previous {
            case nil: AuditEvent(action: "user.create", category: "rbac", actor: .init(user: user), target: .init(type: "user", id: id.uuidString),
                                 requestID: requestID, after: ["role": role.rawValue, "subject": subject])
            case let old? where old != role.rawValue: AuditEvent(action: "user.role_changed", category: "rbac", severity: .warning, actor: .init(user: user),
                                                                  target: .init(type: "user", id: id.uuidString), requestID: requestID,
                                                                  before: ["role": old], after: ["role": role.rawValue])
            default: nil
            }
            return (user, event)
        }
        if !user.disabled { self.recent.withLock { $0[subject] = (user, now) } }
        return user
    }

    /// Drops what is kept of these users, so their next request reads their row.
    func forget(subjects: [String]) {
        guard !subjects.isEmpty else { return }
        self.recent.withLock { recent in for subject in subjects { recent[subject] = nil } }
    }

    /// The user with this id, as last written.
    func user(id: UUID) async throws -> User? {
        let rows = try await self.client.boundedQuery(
            "SELECT id, subject, name, email, role, groups, disabled_at IS NOT NULL FROM users WHERE id = \(id)", logger: self.logger)
        for try await (id, subject, name, email, role, groups, disabled) in rows.decode((UUID, String, String?, String?, String, [String], Bool).self) {
            return User(id: id, subject: subject, name: name, email: email, role: Role(rawValue: role) ?? .tenant, groups: groups, disabled: disabled)
        }
        return nil
    }
}

extension AuditActor {
    /// A user seen in a token, before a request identity exists (role changes).
    init(user: UserDirectory.User) {
        self.init(userID: user.id.uuidString, userType: .user, role: user.role.rawValue, groups: user.groups)
    }
}
