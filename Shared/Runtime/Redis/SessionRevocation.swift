import Foundation

/// The Redis flag that says a gateway session has ended (signed out or revoked).
///
/// The API writes it when a session ends and announces the end (`SessionAnnouncements`); the
/// gateway checks it whenever it reads the session from Redis and drops its in-memory copy on
/// the announcement, so a session revoked from another browser or by an admin is refused on its
/// very next request even though the gateway still holds its tokens. Kept as long as a session
/// can live.
public enum SessionRevocation {
    public static let lifetimeSeconds = 31 * 86_400

    /// Followed by the session id in lower case; the gateway's session read checks it by prefix.
    public static let keyPrefix = "orcastra:session-ended:"

    public static func key(_ sessionID: UUID) -> String { Self.keyPrefix + sessionID.uuidString.lowercased() }

    public static func mark(_ sessionID: UUID, reason: String, redis: RedisClient) async throws {
        _ = try await redis.command("SET", self.key(sessionID), reason, "EX", String(self.lifetimeSeconds))
        try await SessionAnnouncements.announce(.ended(apiSession: sessionID.uuidString.lowercased()), redis: redis)
    }

    public static func isEnded(_ sessionID: UUID, redis: RedisClient) async throws -> Bool {
        try await redis.command("EXISTS", self.key(sessionID)).int == 1
    }
}
