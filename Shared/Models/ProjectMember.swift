import Foundation

/// A project role: a bundle of entitlements on the project and its instances.
public enum ProjectRole: String, Codable, Sendable, CaseIterable {
    /// Sees the project and its instances.
    case viewer
    /// Also creates, starts, stops, snapshots and deletes instances within the quota.
    case `operator`
}

/// A user's membership of a project.
public struct ProjectMember: Codable, Sendable, Equatable {
    public var userID: UUID
    public var userName: String?
    public var email: String?
    public var role: ProjectRole
    public var addedAt: Date

    public init(userID: UUID, userName: String?, email: String?, role: ProjectRole, addedAt: Date) {
        self.userID = userID
        self.userName = userName
        self.email = email
        self.role = role
        self.addedAt = addedAt
    }

    enum CodingKeys: String, CodingKey {
        case userID = "user_id", userName = "user_name", email, role, addedAt = "added_at"
    }
}
