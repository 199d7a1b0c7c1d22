import Foundation

/// The Redis pub/sub channel on which every change to a gateway session is announced: the API
/// announces a session it ends (`SessionRevocation.mark`), a gateway a session it saves or
/// deletes. Gateways keep the sessions they read in memory between Redis reads and drop one
/// the moment its change is announced, on every replica.
public enum SessionAnnouncements {
    public enum Message: Equatable, Sendable {
        /// The session stored under this Redis key was saved anew or deleted.
        case saved(key: String)
        /// The API ended the session with this id (lower case).
        case ended(apiSession: String)
    }

    /// Pub/sub channels belong to the whole server, not to a database: the database number
    /// keeps deployments (and test runs) that share a server apart.
    public static func channel(_ url: RedisURL) -> String { "orcastra:session-announcements:\(url.database)" }

    public static func announce(_ message: Message, redis: RedisClient) async throws {
        let text = switch message {
        case .saved(let key): "saved " + key
        case .ended(let apiSession): "ended " + apiSession
        }
        _ = try await redis.command("PUBLISH", Self.channel(redis.url), text)
    }

    public static func parse(_ bytes: [UInt8]) -> Message? {
        guard let space = bytes.firstIndex(of: UInt8(ascii: " ")) else { return nil }
        let kind = String(decoding: bytes[..<space], as: UTF8.self)
        let rest = String(decoding: bytes[(space + 1)...], as: UTF8.self)
        guard !rest.isEmpty else { return nil }
        switch kind {
        case "saved": return .saved(key: rest)
        case "ended": return .ended(apiSession: rest)
        default: return nil
        }
    }
}
