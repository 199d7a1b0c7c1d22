import Foundation

/// One of a partner's customers, as the organizations API shows it.
public struct Organization: Codable, Sendable, Equatable {
    public var id: UUID
    public var name: String
    public var description: String
    /// The partner (or admin) it belongs to.
    public var ownerID: UUID
    public var ownerName: String?
    public var createdAt: Date
    public var updatedAt: Date

    public init(id: UUID, name: String, description: String, ownerID: UUID, ownerName: String?, createdAt: Date, updatedAt: Date) {
        self.id = id
        self.name = name
        self.description = description
        self.ownerID = ownerID
        self.ownerName = ownerName
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    enum CodingKeys: String, CodingKey {
        case id, name, description
        case ownerID = "owner_id", ownerName = "owner_name", createdAt = "created_at", updatedAt = "updated_at"
    }
}
