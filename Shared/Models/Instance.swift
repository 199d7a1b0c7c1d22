import Foundation

/// An instance as lists show it, from whichever cluster holds it.
public struct InstanceSummary: Codable, Sendable, Equatable {
    public var clusterID: UUID
    public var clusterName: String
    public var project: String
    public var name: String
    /// `container` or `virtual-machine`.
    public var type: String
    /// LXD's words: Running, Stopped, Frozen, Error…
    public var status: String
    public var description: String?
    /// As the server wrote it (RFC 3339 with nanoseconds).
    public var createdAt: String?
    /// The cluster member it runs on.
    public var location: String?
    /// The image it was made from (`image.description`).
    public var image: String?

    public init(clusterID: UUID, clusterName: String, project: String, name: String, type: String, status: String,
                description: String?, createdAt: String?, location: String?, image: String?) {
        self.clusterID = clusterID
        self.clusterName = clusterName
        self.project = project
        self.name = name
        self.type = type
        self.status = status
        self.description = description
        self.createdAt = createdAt
        self.location = location
        self.image = image
    }

    enum CodingKeys: String, CodingKey {
        case project, name, type, status, description, location, image
        case clusterID = "cluster_id", clusterName = "cluster_name", createdAt = "created_at"
    }
}

/// `GET /instances`: the instances of every visible cluster, and how each cluster answered,
/// so a dead or slow cluster is shown as such instead of hiding the rest.
public struct InstanceList: Codable, Sendable {
    public var items: [InstanceSummary]
    public var clusters: [ClusterReach]
    /// The next page of `items` (`?cursor=`); nil on the last. Every page lists every cluster.
    @NullWhenNil public var nextCursor: String?

    public init(items: [InstanceSummary], clusters: [ClusterReach], nextCursor: String? = nil) {
        self.items = items
        self.clusters = clusters
        self.nextCursor = nextCursor
    }

    enum CodingKeys: String, CodingKey {
        case items, clusters
        case nextCursor = "next_cursor"
    }
}

/// How one cluster answered the aggregated list.
public struct ClusterReach: Codable, Sendable, Equatable {
    public var id: UUID
    public var name: String
    /// `ok`, `unreachable`, `timeout` or `error`.
    public var status: String
    public var error: String?
    public var latencyMs: Double
    public var instanceCount: Int

    public init(id: UUID, name: String, status: String, error: String?, latencyMs: Double, instanceCount: Int) {
        self.id = id
        self.name = name
        self.status = status
        self.error = error
        self.latencyMs = latencyMs
        self.instanceCount = instanceCount
    }

    enum CodingKeys: String, CodingKey {
        case id, name, status, error
        case latencyMs = "latency_ms", instanceCount = "instance_count"
    }
}

/// One instance in full: configuration, devices, live state and snapshots.
public struct InstanceDetail: Codable, Sendable {
    public var summary: InstanceSummary
    public var profiles: [String]
    public var config: [String: String]
    public var devices: [String: [String: String]]
    public var state: InstanceState?
    public var snapshots: [SnapshotInfo]
    /// What the caller may do with the instance (`can_update_state`, `can_delete`, …), so that
    /// a dashboard offers only that; nil when not worked out.
    public var yourEntitlements: [String]?

    public init(summary: InstanceSummary, profiles: [String], config: [String: String], devices: [String: [String: String]],
                state: InstanceState?, snapshots: [SnapshotInfo], yourEntitlements: [String]? = nil) {
        self.summary = summary
        self.profiles = profiles
        self.config = config
        self.devices = devices
        self.state = state
        self.snapshots = snapshots
        self.yourEntitlements = yourEntitlements
    }

    enum CodingKeys: String, CodingKey { case profiles, config, devices, state, snapshots, yourEntitlements = "your_entitlements" }

    /// Flat: the summary's fields beside the detail's, as the API documents it.
    public init(from decoder: any Decoder) throws {
        self.summary = try InstanceSummary(from: decoder)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.profiles = try c.decode([String].self, forKey: .profiles)
        self.config = try c.decode([String: String].self, forKey: .config)
        self.devices = try c.decode([String: [String: String]].self, forKey: .devices)
        self.state = try c.decodeIfPresent(InstanceState.self, forKey: .state)
        self.snapshots = try c.decode([SnapshotInfo].self, forKey: .snapshots)
        self.yourEntitlements = try c.decodeIfPresent([String].self, forKey: .yourEntitlements)
    }

    public func encode(to encoder: any Encoder) throws {
        try self.summary.encode(to: encoder)
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(self.profiles, forKey: .profiles)
        try c.encode(self.config, forKey: .config)
        try c.encode(self.devices, forKey: .devices)
        try c.encode(self.state, forKey: .state)
        try c.encode(self.snapshots, forKey: .snapshots)
        try c.encode(self.yourEntitlements, forKey: .yourEntitlements)
    }
}

/// What a running instance uses now.
public struct InstanceState: Codable, Sendable, Equatable {
    public var status: String
    public var cpuUsageNs: Int64?
    public var memoryUsageBytes: Int64?
    public var memoryPeakBytes: Int64?
    public var processes: Int?
    /// Bytes used per disk device.
    public var disk: [String: Int64]
    /// Addresses per network interface.
    public var network: [String: [String]]

    public init(status: String, cpuUsageNs: Int64?, memoryUsageBytes: Int64?, memoryPeakBytes: Int64?, processes: Int?,
                disk: [String: Int64], network: [String: [String]]) {
        self.status = status
        self.cpuUsageNs = cpuUsageNs
        self.memoryUsageBytes = memoryUsageBytes
        self.memoryPeakBytes = memoryPeakBytes
        self.processes = processes
        self.disk = disk
        self.network = network
    }

    enum CodingKeys: String, CodingKey {
        case status, processes, disk, network
        case cpuUsageNs = "cpu_usage_ns", memoryUsageBytes = "memory_usage_bytes", memoryPeakBytes = "memory_peak_bytes"
    }
}

public struct SnapshotInfo: Codable, Sendable, Equatable {
    public var name: String
    public var createdAt: String?
    public var stateful: Bool

    public init(name: String, createdAt: String?, stateful: Bool) {
        self.name = name
        self.createdAt = createdAt
        self.stateful = stateful
    }

    enum CodingKeys: String, CodingKey { case name, stateful, createdAt = "created_at" }
}

/// A long-running change on a cluster, followed by our id (`GET /operations/<id>`).
public struct OperationInfo: Codable, Sendable, Equatable {
    public enum Status: String, Codable, Sendable { case running, success, failure }

    public var id: UUID
    public var clusterID: UUID
    /// The audited action, e.g. `instance.create`, `instance.stop`, `snapshot.restore`.
    public var action: String
    public var project: String
    public var instance: String
    public var snapshot: String?
    public var status: Status
    /// 0–100 when the server reports a percentage; nil while it does not.
    public var progress: Int?
    /// The server's own words about the current step ("Unpack: 42% (12MB/s)").
    public var stage: String?
    public var error: String?
    public var createdAt: Date
    public var updatedAt: Date

    public init(id: UUID, clusterID: UUID, action: String, project: String, instance: String, snapshot: String?, status: Status,
                progress: Int?, stage: String?, error: String?, createdAt: Date, updatedAt: Date) {
        self.id = id
        self.clusterID = clusterID
        self.action = action
        self.project = project
        self.instance = instance
        self.snapshot = snapshot
        self.status = status
        self.progress = progress
        self.stage = stage
        self.error = error
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    enum CodingKeys: String, CodingKey {
        case id, action, project, instance, snapshot, status, progress, stage, error
        case clusterID = "cluster_id", createdAt = "created_at", updatedAt = "updated_at"
    }

    private enum AliasKeys: String, CodingKey { case operationID = "operation_id" }

    /// Every field, nulls included, and `operation_id` beside `id`: the name the API's 202
    /// answers use for the id to follow.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(self.id, forKey: .id)
        var alias = encoder.container(keyedBy: AliasKeys.self)
        try alias.encode(self.id, forKey: .operationID)
        try c.encode(self.clusterID, forKey: .clusterID)
        try c.encode(self.action, forKey: .action)
        try c.encode(self.project, forKey: .project)
        try c.encode(self.instance, forKey: .instance)
        try c.encode(self.snapshot, forKey: .snapshot)
        try c.encode(self.status, forKey: .status)
        try c.encode(self.progress, forKey: .progress)
        try c.encode(self.stage, forKey: .stage)
        try c.encode(self.error, forKey: .error)
        try c.encode(self.createdAt, forKey: .createdAt)
        try c.encode(self.updatedAt, forKey: .updatedAt)
    }
}
