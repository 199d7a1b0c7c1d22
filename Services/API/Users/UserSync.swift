import Foundation
import Logging
import OrcastraModels
import OrcastraRuntime
import PostgresNIO
import ServiceLifecycle

/// Keeps `users` in step with the identity provider's directory (`AuthentikDirectory`), every
/// `interval` and on demand (`POST /api/v1/users/sync`): a directory user is created here
/// (before their first sign-in, so they can be made project members) or brought up to date
/// (name, e-mail, groups, the role the groups give); a user the directory marks inactive, or no
/// longer lists, is disabled, and is refused (401) from their next request on, token and API
/// key alike. A user the sync disabled is enabled again when the directory lists them active.
///
/// Nothing is changed unless the whole directory was read. Each user's change is one
/// transaction with its audit event (actor: the system), re-read under a row lock, so two API
/// processes syncing at once record each change once.
final class UserSync: Service, Sendable {
    let directory: AuthentikDirectory
    let client: PostgresClient
    /// Forgets the identities it keeps of users whose row changed.
    let users: UserDirectory
    let audit: AuditTrail
    let logger: Logger

    init(directory: AuthentikDirectory, client: PostgresClient, users: UserDirectory, audit: AuditTrail, logger: Logger) {
        self.directory = directory
        self.client = client
        self.users = users
        self.audit = audit
        self.logger = logger
    }

    /// Syncs at once, then every interval until the API stops; a failed sync is logged and
    /// tried again at the next tick.
    func run() async throws {
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            do {
                let report = try await self.sync()
                if report.created + report.updated + report.disabled + report.enabled > 0 {
                    self.logger.info("users synced from the directory", metadata: [
                        "read": "\(report.read)", "created": "\(report.created)", "updated": "\(report.updated)",
                        "disabled": "\(report.disabled)", "enabled": "\(report.enabled)",
                    ])
                }
            } catch {
                self.logger.warning("the user directory could not be synced; retrying later", metadata: ["error": "\(error)"])
            }
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: self.directory.settings.interval) }
            } catch { break }
        }
    }

    /// One sync; `requestID` when a request asked for it.
    func sync(requestID: String? = nil) async throws -> UserSyncReport {
        let listed = try await self.directory.users()
        let listedSubjects = listed.map(\.user.uid)
        let active = try await self.client.boundedQuery("SELECT subject FROM users WHERE disabled_at IS NULL", logger: self.logger)
            .decode(String.self).all()
        let listedSet = Set(listedSubjects)
        let gone = active.filter { !listedSet.contains($0) }
        guard !Self.implausible(listed: listed.count, active: active.count, gone: gone.count) else {
            throw AuthentikDirectory.DirectoryError("""
                the directory lists \(listed.count) users, and \(gone.count) of the \(active.count) active users are not among them; \
                an API token that may not read every user lists only its own, so nothing was changed (is AUTHENTIK_API_TOKEN allowed to view users?)
                """)
        }
        var report = UserSyncReport(read: listed.count, created: 0, updated: 0, disabled: 0, enabled: 0, finishedAt: Date())
        var changed: [String] = []
        for (user, groups) in listed {
            let wanted = Wanted(subject: user.uid, name: user.name.isEmpty ? user.username : user.name,
                                email: user.email.flatMap { $0.isEmpty ? nil : $0 }, groups: groups, active: user.isActive)
            let change = try await self.apply(wanted, requestID: requestID)
            switch change {
            case .unchanged: continue
            case .created: report.created += 1
            case .updated: report.updated += 1
            case .disabled: report.disabled += 1
            case .enabled: report.enabled += 1
            }
            changed.append(wanted.subject)
        }
        for subject in gone {
            guard try await self.disableGone(subject, requestID: requestID) else { continue }
            report.disabled += 1
            changed.append(subject)
        }
        try await self.client.boundedQuery("UPDATE users SET synced_at = now() WHERE subject = ANY(\(listedSubjects))", logger: self.logger)
        // Every disabled user, not only the ones this sync disabled: another API process may
        // have done it, and this one may still hold them as seen.
        let disabled = try await self.client.boundedQuery("SELECT subject FROM users WHERE disabled_at IS NOT NULL", logger: self.logger)
            .decode(String.self).all()
        self.users.forget(subjects: changed + disabled)
        report.finishedAt = Date()
        return report
    }

    /// A directory user as the row should be.
    struct Wanted: Sendable {
        var subject: String
        var name: String
        var email: String?
        var groups: [String]
        var active: Bool
        var role: Role { Role.resolve(groups: self.groups) }
    }

    enum Change { case unchanged, created, updated, disabled, enabled }

    /// Whether a listing would remove so many active users (more than half, and more than
    /// three, or everyone from an empty list) that it is taken for a token that may not read
    /// them all (Authentik then lists the token's own user only) rather than for an exodus.
    static func implausible(listed: Int, active: Int, gone: Int) -> Bool {
        gone > 0 && (listed == 0 || (gone > 3 && gone * 2 > active))
    }

    static let deactivated = "authentik: deactivated"
    static let gone = "authentik: gone from the directory"

    private func apply(_ wanted: Wanted, requestID: String?) async throws -> Change {
        try await self.audit.record(client: self.client, logger: self.logger) { transaction in
            let rows = try await transaction.query("""
                SELECT id, name, email, role, groups, disabled_at IS NOT NULL, disabled_reason FROM users WHERE subject = \(wanted.subject) FOR UPDATE
                """, logger: self.logger)
            guard let (id, name, email, role, groups, disabled, reason) = try await rows.decode((UUID, String?, String?, String, [String], Bool, String?).self).all().first else {
                let inserted = try await transaction.query("""
                    INSERT INTO users (subject, name, email, role, groups, synced_at, last_seen_at, disabled_at, disabled_reason)
                    VALUES (\(wanted.subject), \(wanted.name), \(wanted.email), \(wanted.role.rawValue), \(wanted.groups), now(), NULL,
                            CASE WHEN \(wanted.active) THEN NULL ELSE now() END, CASE WHEN \(wanted.active) THEN NULL ELSE \(Self.deactivated) END)
                    RETURNING id
                    """, logger: self.logger).decode(UUID.self).all()
                let event = AuditEvent(action: "user.create", category: "rbac", actor: .system, target: Self.target(inserted.first),
                                       details: ["source": "directory sync", "subject": wanted.subject], requestID: requestID,
                                       after: Self.fields(name: wanted.name, email: wanted.email, role: wanted.role, groups: wanted.groups, disabled: !wanted.active))
                return (Change.created, event)
            }
            let disable = !wanted.active && !disabled
            let enable = wanted.active && disabled && reason?.hasPrefix("authentik:") == true
            let before = Self.fields(name: name, email: email, role: Role(rawValue: role) ?? .tenant, groups: groups, disabled: disabled)
            guard disable || enable || name != wanted.name || email != wanted.email || role != wanted.role.rawValue || groups != wanted.groups else {
                return (Change.unchanged, nil)
            }
            try await transaction.query("""
                UPDATE users SET name = \(wanted.name), email = \(wanted.email), role = \(wanted.role.rawValue), groups = \(wanted.groups),
                    disabled_at = CASE WHEN \(disable) THEN now() WHEN \(enable) THEN NULL ELSE disabled_at END,
                    disabled_reason = CASE WHEN \(disable) THEN \(Self.deactivated) WHEN \(enable) THEN NULL ELSE disabled_reason END
                WHERE id = \(id)
                """, logger: self.logger)
            let (change, action, severity): (Change, String, AuditSeverity) =
                disable ? (.disabled, "user.disable", .warning)
                : enable ? (.enabled, "user.enable", .info)
                : role != wanted.role.rawValue ? (.updated, "user.role_changed", .warning) : (.updated, "user.update", .info)
            let afterFields = Self.fields(name: wanted.name, email: wanted.email, role: wanted.role, groups: wanted.groups,
                                          disabled: disable || (disabled && !enable))
            let event = AuditEvent(action: action, category: "rbac", severity: severity, actor: .system, target: Self.target(id),
                                   details: disable ? ["source": "directory sync", "reason": Self.deactivated] : ["source": "directory sync"],
                                   requestID: requestID, before: before, after: afterFields)
            return (change, event)
        }
    }

    /// Disables a user the directory no longer lists; false when someone else did first.
    private func disableGone(_ subject: String, requestID: String?) async throws -> Bool {
        try await self.audit.record(client: self.client, logger: self.logger) { transaction in
            let rows = try await transaction.query("""
                UPDATE users SET disabled_at = now(), disabled_reason = \(Self.gone) WHERE subject = \(subject) AND disabled_at IS NULL RETURNING id
                """, logger: self.logger)
            guard let id = try await rows.decode(UUID.self).all().first else { return (false, nil) }
            return (true, AuditEvent(action: "user.disable", category: "rbac", severity: .warning, actor: .system, target: Self.target(id),
                                     details: ["source": "directory sync", "reason": Self.gone, "subject": subject], requestID: requestID,
                                     before: ["disabled": "false"], after: ["disabled": "true"]))
        }
    }

    private static func target(_ id: UUID?) -> AuditTarget {
        AuditTarget(type: "user", id: id?.uuidString.lowercased())
    }

    private static func fields(name: String?, email: String?, role: Role, groups: [String], disabled: Bool) -> [String: String] {
        ["name": name ?? "", "email": email ?? "", "role": role.rawValue, "groups": groups.joined(separator: ","), "disabled": String(disabled)]
    }
}
