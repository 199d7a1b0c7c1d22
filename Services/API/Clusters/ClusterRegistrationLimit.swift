import Foundation
import HTTPTypes
import Logging
import OrcastraRuntime
import PostgresNIO

/// At most `perHour` registrations a user may start in any hour (`CLUSTER_REGISTRATIONS_PER_HOUR`,
/// 10): each one connects to the addresses its caller names, so an unbounded number would make
/// the API a scanner however narrow each attempt is.
///
/// Counted in PostgreSQL rather than Redis: the count must hold when Redis is down or disabled
/// (the general request limit lets requests through then), and an advisory lock per user makes
/// the check and the new row one step, so parallel requests cannot all slip under the limit.
struct ClusterRegistrationLimit: Sendable {
    let client: PostgresClient
    let perHour: Int
    let logger: Logger

    static let window: Duration = .seconds(3600)

    /// Counts one more attempt for `user`, or throws 429 with `Retry-After` (when the oldest
    /// attempt in the window leaves it) without counting.
    func admit(_ user: UUID) async throws {
        let retryAfter: Int? = try await self.client.transaction(logger: self.logger) { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(hashtextextended(\("cluster-registration:" + user.uuidString), 0))",
                                       logger: self.logger)
            try await connection.query(
                "DELETE FROM cluster_registration_attempts WHERE user_id = \(user) AND started_at < now() - interval '1 hour'", logger: self.logger)
            let rows = try await connection.query(
                """
                SELECT count(*)::int, COALESCE(ceil(extract(epoch FROM min(started_at) + interval '1 hour' - now()))::int, 0)
                FROM cluster_registration_attempts WHERE user_id = \(user)
                """, logger: self.logger)
            var count = 0, wait = 0
            for try await (c, w) in rows.decode((Int, Int).self) { (count, wait) = (c, w) }
            guard count < self.perHour else { return max(1, wait) }
            try await connection.query("INSERT INTO cluster_registration_attempts (user_id) VALUES (\(user))", logger: self.logger)
            return nil
        }
        if let retryAfter {
            self.logger.warning("cluster registration limit reached", metadata: ["user": "\(user)", "per_hour": "\(self.perHour)"])
            throw APIError(.tooManyRequests, code: "rate_limited",
                           message: "At most \(self.perHour) cluster registrations an hour; try again in \(retryAfter) s.",
                           headers: [.retryAfter: String(retryAfter)])
        }
    }
}
