import Foundation

/// What an API key may do with the role it acts with.
public enum APIKeyScope: String, Codable, Sendable, CaseIterable {
    /// `GET` and `HEAD` only: for monitoring and reporting scripts that must not change anything.
    case readOnly = "read_only"
    /// Every method the role allows; the default, as keys were before scopes existed.
    case readWrite = "read_write"
}

/// An API key as lists show it: who owns it and when it was used, never the secret.
public struct APIKeyInfo: Codable, Sendable, Equatable {
    public var id: UUID
    public var name: String
    /// `orc_` and 8 hex digits: the start of the key, enough to recognise it.
    public var prefix: String
    public var ownerID: UUID
    @NullWhenNil public var ownerName: String?
    public var createdAt: Date
    @NullWhenNil public var lastUsedAt: Date?
    @NullWhenNil public var expiresAt: Date?
    @NullWhenNil public var revokedAt: Date?
    public var scope: APIKeyScope
    /// The most the key acts as; each use takes the lower of this and the owner's role then.
    public var role: Role

    public init(id: UUID, name: String, prefix: String, ownerID: UUID, ownerName: String?, createdAt: Date, lastUsedAt: Date?, expiresAt: Date?, revokedAt: Date?,
                scope: APIKeyScope = .readWrite, role: Role) {
        self.id = id
        self.name = name
        self.prefix = prefix
        self.ownerID = ownerID
        self.ownerName = ownerName
        self.createdAt = createdAt
        self.lastUsedAt = lastUsedAt
        self.expiresAt = expiresAt
        self.revokedAt = revokedAt
        self.scope = scope
        self.role = role
    }

    enum CodingKeys: String, CodingKey {
        case id, name, prefix
        case ownerID = "owner_id", ownerName = "owner_name", createdAt = "created_at", lastUsedAt = "last_used_at"
        case expiresAt = "expires_at", revokedAt = "revoked_at", scope, role
    }
}

/// The answer to creating a key: the only time its secret is shown.
public struct APIKeyCreated: Codable, Sendable, Equatable {
    public var key: String
    public var info: APIKeyInfo

    public init(key: String, info: APIKeyInfo) {
        self.key = key
        self.info = info
    }

    public init(from decoder: any Decoder) throws {
        self.info = try APIKeyInfo(from: decoder)
        self.key = try decoder.container(keyedBy: KeyCodingKey.self).decode(String.self, forKey: .key)
    }

    /// Flat: the key's fields with `key` beside them.
    public func encode(to encoder: any Encoder) throws {
        try self.info.encode(to: encoder)
        var c = encoder.container(keyedBy: KeyCodingKey.self)
        try c.encode(self.key, forKey: .key)
    }

    enum KeyCodingKey: String, CodingKey { case key }
}
