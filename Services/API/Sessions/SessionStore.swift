import Foundation
import Hummingbird
import Logging
import OrcastraModels
import OrcastraRuntime
import PostgresNIO

/// Gateway sessions in PostgreSQL, with the Redis "ended" flag the gateway checks.
///
/// Sign-in, refresh, sign-out and revocation each go through the audit trail.
struct SessionStore: Sendable {
    let client: PostgresClient
    let redis: RedisClient?
    let audit: AuditTrail
    let logger: Logger
    /// Sessions recently found open; `end` forgets them here.
    var memo = OpenSessionMemo()

    /// A new session for a user who has just signed in at the gateway (audited `auth.login`).
    func start(for identity: Identity, _ start: SessionStart, requestID: String?) async throws -> SessionInfo {
        let ip = start.ip.map { String($0.prefix(64)) }
        let agent = start.userAgent.map { String($0.prefix(512)) }
        var event = AuditEvent(
            action: "auth.login", category: "authentication", severity: .info, actor: .init(identity),
            target: .init(type: "session", id: nil), result: .success,
            details: ["ip": ip ?? "", "user_agent": agent ?? ""], requestID: requestID)
        let id = UUID()
        event.actor.sessionID = id.uuidString
        event.target.id = id.uuidString
        return try await self.audit.record(event, client: self.client, logger: self.logger) { connection in
            let rows = try await connection.query(
                """
                INSERT INTO sessions (id, user_id, ip, user_agent) VALUES (\(id), \(identity.id), \(ip), \(agent))
                RETURNING created_at
                """, logger: self.logger)
            for try await created in rows.decode(Date.self) {
                return SessionInfo(id: id, userID: identity.id, userName: identity.name, userEmail: identity.email,
                                   createdAt: created, lastSeenAt: created, ip: ip, userAgent: agent, current: true)
            }
            throw APIError(.internalServerError, code: "internal_error", message: "the session could not be stored")
        }
    }

    /// Whether session `id` of `userID` is still open; notes that it was seen (at most once a
    /// minute, so a busy page does not write on every call). An answer "open" is believed for
    /// a few seconds (`OpenSessionMemo`).
    func isOpen(_ id: UUID, userID: UUID) async throws -> Bool {
        if self.memo.believesOpen(id, user: userID) { return true }
        let ticket = self.memo.beginLookup()
        let open = try await self.lookUp(id, userID: userID)
        if open { self.memo.remember(id, user: userID, ticket: ticket) }
        return open
    }

    private func lookUp(_ id: UUID, userID: UUID) async throws -> Bool {
        let rows = try await self.client.boundedQuery(
            """
            WITH s AS (SELECT id FROM sessions WHERE id = \(id) AND user_id = \(userID) AND ended_at IS NULL),
                 touched AS (UPDATE sessions SET last_seen_at = now()
                             WHERE id IN (SELECT id FROM s) AND last_seen_at < now() - interval '1 minute' RETURNING id)
            SELECT count(*) FROM s
            """, logger: self.logger)
        for try await count in rows.decode(Int.self) { return count == 1 }
        return false
    }

    /// The open sessions in `scope`, newest first.
    func list(in scope: Authorizer.ListScope, current: UUID?) async throws -> [SessionInfo] {
        let rows = try await self.client.boundedQuery(
            """
            SELECT s.id, s.user_id, u.name, u.email, s.created_at, s.last_seen_at, s.ip, s.user_agent
            FROM sessions s JOIN users u ON u.id = s.user_id
            WHERE s.ended_at IS NULL AND (\(scope.everyone) OR s.user_id = \(scope.owner))
            ORDER BY s.created_at DESC LIMIT 500
            """, logger: self.logger)
        var sessions: [SessionInfo] = []
        for try await (id, user, name, email, created, seen, ip, agent)
            in rows.decode((UUID, UUID, String?, String?, Date, Date, String?, String?).self) {
            sessions.append(SessionInfo(id: id, userID: user, userName: name, userEmail: email, createdAt: created,
                                        lastSeenAt: seen, ip: ip, userAgent: agent, current: id == current))
        }
        return sessions
    }

    enum Ending: String {
        case logout, revoked
        var action: String { self == .logout ? "auth.logout" : "session.revoke" }
    }

    /// Ends session `id` if it is in `scope` — false when there is no such open session there.
    /// Sets the Redis flag the gateway checks.
    func end(_ id: UUID, reason: Ending, actor: Identity, in scope: Authorizer.ListScope, requestID: String?) async throws -> Bool {
        var event = AuditEvent(
            action: reason.action, category: reason == .logout ? "authentication" : "session", severity: .info,
            actor: .init(actor), target: .init(type: "session", id: id.uuidString), result: .success, requestID: requestID)
        if reason == .logout { event.actor.sessionID = id.uuidString }
        do {
            try await self.audit.record(event, client: self.client, logger: self.logger) { connection in
                let rows = try await connection.query(
                """
                UPDATE sessions SET ended_at = now(), end_reason = \(reason.rawValue)
                WHERE id = \(id) AND ended_at IS NULL AND (\(scope.everyone) OR user_id = \(scope.owner)) RETURNING id
                """, logger: self.logger)
                guard try await rows.decode(UUID.self).all().count == 1 else { throw SessionNotOpen() }
            }
        } catch is SessionNotOpen {
            return false
        }
        self.memo.ended(id)
        if let redis = self.redis {
            do {
                try await SessionRevocation.mark(id, reason: reason.rawValue, redis: redis)
            } catch {
                // The API still refuses the session (PostgreSQL says it ended); the gateway
                // learns it from the API's 401 on its next proxied call.
                self.logger.error("could not flag the ended session in Redis", metadata: ["session_id": "\(id)", "error": "\(error)"])
            }
        }
        return true
    }

    /// Audits a token refresh the gateway made for session `id`.
    func refreshed(_ id: UUID, actor: Identity, requestID: String?) async throws {
        var event = AuditEvent(
            action: "auth.refresh", category: "authentication", severity: .info, actor: .init(actor),
            target: .init(type: "session", id: id.uuidString), result: .success, requestID: requestID)
        event.actor.sessionID = id.uuidString
        try await self.audit.record(event, client: self.client, logger: self.logger)
    }

    /// Thrown inside the ending transaction so that nothing is audited for a session that was
    /// not open; turned into `false` by callers.
    struct SessionNotOpen: Error {}
}
