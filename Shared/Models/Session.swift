import Foundation

/// A gateway sign-in as people list and revoke it.
public struct SessionInfo: Codable, Sendable, Equatable {
    public var id: UUID
    public var userID: UUID
    public var userName: String?
    public var userEmail: String?
    public var createdAt: Date
    public var lastSeenAt: Date
    public var ip: String?
    public var userAgent: String?
    /// Whether this is the session the request came through.
    public var current: Bool

    public init(id: UUID, userID: UUID, userName: String?, userEmail: String?, createdAt: Date, lastSeenAt: Date, ip: String?, userAgent: String?, current: Bool) {
        self.id = id
        self.userID = userID
        self.userName = userName
        self.userEmail = userEmail
        self.createdAt = createdAt
        self.lastSeenAt = lastSeenAt
        self.ip = ip
        self.userAgent = userAgent
        self.current = current
    }

    enum CodingKeys: String, CodingKey {
        case id, ip, current
        case userID = "user_id", userName = "user_name", userEmail = "user_email", createdAt = "created_at"
        case lastSeenAt = "last_seen_at", userAgent = "user_agent"
    }
}

/// What the gateway tells the API about a new sign-in (the browser's address and agent, which
/// the API cannot see behind the gateway).
public struct SessionStart: Codable, Sendable, Equatable {
    public var ip: String?
    public var userAgent: String?

    public init(ip: String?, userAgent: String?) {
        self.ip = ip
        self.userAgent = userAgent
    }

    enum CodingKeys: String, CodingKey {
        case ip
        case userAgent = "user_agent"
    }
}

/// A sign-in that failed at the gateway, reported to the API's audit trail.
public struct LoginFailureReport: Codable, Sendable, Equatable {
    public var reason: String
    public var ip: String?
    public var userAgent: String?

    public init(reason: String, ip: String?, userAgent: String?) {
        self.reason = reason
        self.ip = ip
        self.userAgent = userAgent
    }

    enum CodingKeys: String, CodingKey {
        case reason, ip
        case userAgent = "user_agent"
    }
}

/// `{"items": [...], "next_cursor": ...}`, the API's list shape (Services/README.md, API conventions).
public struct ListPage<Item: Codable & Sendable>: Codable, Sendable {
    public var items: [Item]
    @NullWhenNil public var nextCursor: String?

    public init(items: [Item], nextCursor: String? = nil) {
        self.items = items
        self.nextCursor = nextCursor
    }

    enum CodingKeys: String, CodingKey {
        case items
        case nextCursor = "next_cursor"
    }
}
