import Foundation

/// Who is calling, as the API established it for this request; also the body of `GET /api/v1/me`.
public struct Identity: Codable, Sendable, Equatable {
    /// How the caller proved who they are.
    public enum Method: String, Codable, Sendable {
        /// A JWT from the identity provider (the gateway forwards the session's token).
        case token
        /// An `orc_…` API key, acting with its owner's current role.
        case apiKey = "api_key"
        /// `AUTH_ENABLED=false` in development: everyone is this one admin.
        case development
    }

    /// Our user id (`users.id`).
    public var id: UUID
    /// The identity provider's `sub`.
    public var subject: String
    public var name: String?
    public var email: String?
    public var role: Role
    public var groups: [String]
    public var authMethod: Method
    /// The gateway session the call came through, when it did.
    public var sessionID: UUID?
    /// The API key used, when one was.
    public var apiKeyID: UUID?

    public init(id: UUID, subject: String, name: String?, email: String?, role: Role, groups: [String], authMethod: Method, sessionID: UUID? = nil, apiKeyID: UUID? = nil) {
        self.id = id
        self.subject = subject
        self.name = name
        self.email = email
        self.role = role
        self.groups = groups
        self.authMethod = authMethod
        self.sessionID = sessionID
        self.apiKeyID = apiKeyID
    }

    enum CodingKeys: String, CodingKey {
        case id, subject, name, email, role, groups
        case authMethod = "auth_method"
        case sessionID = "session_id"
        case apiKeyID = "api_key_id"
    }
}
