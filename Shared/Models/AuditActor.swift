/// Who performed an audited action.
///
/// Every field is written, `null` or empty when unknown, so that each audit line carries the
/// full `actor` object of the audit line and the index mapping never guesses a type from absence.
public struct AuditActor: Codable, Sendable, Equatable {
    /// What kind of principal acted.
    public enum Kind: String, Codable, Sendable, CaseIterable {
        case user
        case apiKey = "api_key"
        case system
        case anonymous
    }

    @NullWhenNil public var userID: String?
    public var userType: Kind
    @NullWhenNil public var role: String?
    @NullWhenNil public var sessionID: String?
    public var groups: [String]
    public var organizations: [String]

    public init(
        userID: String? = nil, userType: Kind, role: String? = nil, sessionID: String? = nil,
        groups: [String] = [], organizations: [String] = []
    ) {
        self.userID = userID
        self.userType = userType
        self.role = role
        self.sessionID = sessionID
        self.groups = groups
        self.organizations = organizations
    }

    /// The service itself (start-up, background jobs).
    public static let system = AuditActor(userID: "system", userType: .system)
    /// Someone not signed in (a failed login, a refused request).
    public static let anonymous = AuditActor(userType: .anonymous)

    enum CodingKeys: String, CodingKey {
        case userID = "user_id"
        case userType = "user_type"
        case role
        case sessionID = "session_id"
        case groups, organizations
    }
}

/// What an audited action was done to: a kind of object, its id, and where it lives.
///
/// All fields are optional because some actions have no object (a failed login); the object is
/// still written whole, with nulls, for the same reason as `AuditActor`.
public struct AuditTarget: Codable, Sendable, Equatable {
    /// `user`, `api_key`, `secret`, `certificate`, `instance`, `setting`, …
    @NullWhenNil public var type: String?
    @NullWhenNil public var id: String?
    /// The cluster member or host the object lives on, for LXD/Incus objects.
    @NullWhenNil public var host: String?
    /// The LXD/Incus project, for objects that live in one.
    @NullWhenNil public var project: String?

    public init(type: String? = nil, id: String? = nil, host: String? = nil, project: String? = nil) {
        self.type = type
        self.id = id
        self.host = host
        self.project = project
    }

    enum CodingKeys: String, CodingKey { case type, id, host, project }
}
