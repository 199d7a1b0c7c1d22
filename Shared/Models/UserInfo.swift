import Foundation

/// A user as `GET /api/v1/users` shows them: who they are at the identity provider, the role
/// their groups give and the group that gives it, and whether they may still sign in.
public struct UserInfo: Codable, Sendable, Equatable {
    public var id: UUID
    /// The provider's subject (Authentik's hashed user id).
    public var subject: String
    public var name: String?
    public var email: String?
    public var role: Role
    /// The group the role comes from; nil when none grants one (Tenant, the default).
    public var roleGroup: String?
    public var groups: [String]
    /// Refused (401) on every request, token and API key alike.
    public var disabled: Bool
    public var disabledAt: Date?
    public var disabledReason: String?
    public var createdAt: Date
    /// The latest request with a token; nil for a user the directory sync made who has not signed in.
    public var lastSeenAt: Date?
    /// When the directory sync last read them; nil when it never did.
    public var syncedAt: Date?

    public init(id: UUID, subject: String, name: String?, email: String?, role: Role, roleGroup: String?, groups: [String], disabled: Bool,
                disabledAt: Date?, disabledReason: String?, createdAt: Date, lastSeenAt: Date?, syncedAt: Date?) {
        self.id = id
        self.subject = subject
        self.name = name
        self.email = email
        self.role = role
        self.roleGroup = roleGroup
        self.groups = groups
        self.disabled = disabled
        self.disabledAt = disabledAt
        self.disabledReason = disabledReason
        self.createdAt = createdAt
        self.lastSeenAt = lastSeenAt
        self.syncedAt = syncedAt
    }

    enum CodingKeys: String, CodingKey {
        case id, subject, name, email, role, groups, disabled
        case roleGroup = "role_group", disabledAt = "disabled_at", disabledReason = "disabled_reason", createdAt = "created_at"
        case lastSeenAt = "last_seen_at", syncedAt = "synced_at"
    }
}

/// What one directory sync did.
public struct UserSyncReport: Codable, Sendable, Equatable {
    /// Users the provider listed.
    public var read: Int
    public var created: Int
    public var updated: Int
    public var disabled: Int
    public var enabled: Int
    public var finishedAt: Date

    public init(read: Int, created: Int, updated: Int, disabled: Int, enabled: Int, finishedAt: Date) {
        self.read = read
        self.created = created
        self.updated = updated
        self.disabled = disabled
        self.enabled = enabled
        self.finishedAt = finishedAt
    }

    enum CodingKeys: String, CodingKey {
        case read, created, updated, disabled, enabled
        case finishedAt = "finished_at"
    }
}
