import Foundation

/// A registered LXD/Incus server, as the clusters API shows it (no secrets: the client key
/// stays in the secret store).
public struct Cluster: Codable, Sendable, Equatable {
    public var id: UUID
    public var name: String
    public var description: String
    /// `https://host:port`.
    public var endpoint: String
    /// SHA-256 of the server certificate pinned at registration (lower-case hex).
    public var serverFingerprint: String
    /// SHA-256 of our client certificate in the server's trust store.
    public var clientFingerprint: String
    public var ownerID: UUID?
    public var ownerName: String?
    public var createdAt: Date
    public var updatedAt: Date

    public init(id: UUID, name: String, description: String, endpoint: String, serverFingerprint: String, clientFingerprint: String,
                ownerID: UUID?, ownerName: String?, createdAt: Date, updatedAt: Date) {
        self.id = id
        self.name = name
        self.description = description
        self.endpoint = endpoint
        self.serverFingerprint = serverFingerprint
        self.clientFingerprint = clientFingerprint
        self.ownerID = ownerID
        self.ownerName = ownerName
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    enum CodingKeys: String, CodingKey {
        case id, name, description, endpoint
        case serverFingerprint = "server_fingerprint", clientFingerprint = "client_fingerprint"
        case ownerID = "owner_id", ownerName = "owner_name", createdAt = "created_at", updatedAt = "updated_at"
    }
}

/// `GET /clusters/<id>/status`: what the server says about itself, or why it said nothing.
public struct ClusterStatus: Codable, Sendable, Equatable {
    public var clusterID: UUID
    public var reachable: Bool
    public var latencyMs: Double?
    public var error: String?
    /// `lxd` or `incus`.
    public var server: String?
    public var serverName: String?
    public var serverVersion: String?
    public var apiExtensions: Int?
    public var clustered: Bool?
    public var members: [ClusterMember]

    public init(clusterID: UUID, reachable: Bool, latencyMs: Double? = nil, error: String? = nil, server: String? = nil, serverName: String? = nil,
                serverVersion: String? = nil, apiExtensions: Int? = nil, clustered: Bool? = nil, members: [ClusterMember] = []) {
        self.clusterID = clusterID
        self.reachable = reachable
        self.latencyMs = latencyMs
        self.error = error
        self.server = server
        self.serverName = serverName
        self.serverVersion = serverVersion
        self.apiExtensions = apiExtensions
        self.clustered = clustered
        self.members = members
    }

    enum CodingKeys: String, CodingKey {
        case reachable, error, server, clustered, members
        case clusterID = "cluster_id", latencyMs = "latency_ms", serverName = "server_name"
        case serverVersion = "server_version", apiExtensions = "api_extensions"
    }
}

/// One member of a clustered server (`/1.0/cluster/members`).
public struct ClusterMember: Codable, Sendable, Equatable {
    public var name: String
    public var url: String?
    public var status: String?
    public var message: String?
    public var roles: [String]

    public init(name: String, url: String?, status: String?, message: String?, roles: [String]) {
        self.name = name
        self.url = url
        self.status = status
        self.message = message
        self.roles = roles
    }
}

/// A named object of a cluster (project, profile, network, storage pool, image) with the few
/// facts lists show; `details` carries the kind-specific ones (driver, type, status, size…).
public struct ClusterResource: Codable, Sendable, Equatable {
    public var name: String
    public var description: String?
    public var details: [String: String]

    public init(name: String, description: String?, details: [String: String] = [:]) {
        self.name = name
        self.description = description
        self.details = details
    }
}
