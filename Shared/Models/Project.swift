import Foundation

/// The quota of a project, as LXD project limits: at most `instances` instances, the sum of
/// their `limits.cpu` at most `cpu`, of their `limits.memory` at most `memory`, of their disks
/// at most `disk` (sizes as LXD writes them: `4GiB`). Nil: no limit.
public struct ProjectLimits: Codable, Sendable, Equatable {
    public var instances: Int?
    public var cpu: Int?
    public var memory: String?
    public var disk: String?

    public init(instances: Int? = nil, cpu: Int? = nil, memory: String? = nil, disk: String? = nil) {
        self.instances = instances
        self.cpu = cpu
        self.memory = memory
        self.disk = disk
    }
}

/// One resource of a project as LXD counts it: what the limit is (nil: none) and what is used.
public struct ProjectUsage: Codable, Sendable, Equatable {
    public var resource: String
    public var limit: Int64?
    public var usage: Int64

    public init(resource: String, limit: Int64?, usage: Int64) {
        self.resource = resource
        self.limit = limit
        self.usage = usage
    }
}

/// A project: one organization's place on one cluster, which is one LXD project there.
public struct Project: Codable, Sendable, Equatable {
    public var id: UUID
    public var organizationID: UUID
    public var organizationName: String?
    public var clusterID: UUID
    public var clusterName: String?
    public var name: String
    public var description: String
    /// The LXD project on the cluster.
    public var lxdProject: String
    public var limits: ProjectLimits
    /// What LXD counts against the limits, read live (single project reads only; nil in lists
    /// or when the cluster did not answer, then `usage_error` says why).
    public var usage: [ProjectUsage]?
    public var usageError: String?
    /// What the caller is to the project: `admin`, `owner` (of its organization), `operator`
    /// or `viewer` (a member), so that a dashboard offers only what they may do.
    public var yourRole: String?
    public var createdAt: Date
    public var updatedAt: Date

    public init(id: UUID, organizationID: UUID, organizationName: String?, clusterID: UUID, clusterName: String?, name: String,
                description: String, lxdProject: String, limits: ProjectLimits, usage: [ProjectUsage]? = nil, usageError: String? = nil,
                createdAt: Date, updatedAt: Date) {
        self.id = id
        self.organizationID = organizationID
        self.organizationName = organizationName
        self.clusterID = clusterID
        self.clusterName = clusterName
        self.name = name
        self.description = description
        self.lxdProject = lxdProject
        self.limits = limits
        self.usage = usage
        self.usageError = usageError
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    enum CodingKeys: String, CodingKey {
        case id, name, description, limits, usage
        case organizationID = "organization_id", organizationName = "organization_name", clusterID = "cluster_id", clusterName = "cluster_name"
        case lxdProject = "lxd_project", usageError = "usage_error", yourRole = "your_role", createdAt = "created_at", updatedAt = "updated_at"
    }
}
