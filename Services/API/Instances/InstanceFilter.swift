import Foundation
import OrcastraModels
import OrcastraRuntime

/// What `GET /instances` can narrow by, read from its query: the cluster and project narrow
/// what is asked of the clusters, the rest what is kept of their answers.
struct InstanceFilter: Sendable, Equatable {
    var cluster: UUID?
    var project: String?
    var status: String?
    var type: String?
    var name: String?

    init(cluster: UUID? = nil, project: String? = nil, status: String? = nil, type: String? = nil, name: String? = nil) {
        self.cluster = cluster
        self.project = project
        self.status = status
        self.type = type
        self.name = name
    }

    /// From `?cluster=&project=&status=&type=&name=`; empty values are no filter.
    init(query: (String) -> String?) throws {
        self.init()
        if let cluster = query("cluster"), !cluster.isEmpty {
            guard let id = UUID(uuidString: cluster) else { throw APIError(.badRequest, code: "invalid_cluster", message: "cluster must be a cluster id (UUID)") }
            self.cluster = id
        }
        if let project = query("project"), !project.isEmpty { self.project = try LXDNames.project(project) }
        if let status = query("status"), !status.isEmpty {
            guard ["running", "stopped", "frozen", "error"].contains(status.lowercased()) else {
                throw APIError(.badRequest, code: "invalid_status", message: "status must be Running, Stopped, Frozen or Error")
            }
            self.status = status
        }
        if let type = query("type"), !type.isEmpty {
            guard ["container", "virtual-machine"].contains(type) else {
                throw APIError(.badRequest, code: "invalid_type", message: "type must be container or virtual-machine")
            }
            self.type = type
        }
        if let name = query("name"), !name.isEmpty {
            guard name.count <= 63 else { throw APIError(.badRequest, code: "invalid_name", message: "name filter must be at most 63 characters") }
            self.name = name
        }
    }

    /// Status ignoring case, type exactly, name as a case-insensitive substring.
    func keeps(_ instance: InstanceSummary) -> Bool {
        (self.status.map { $0.caseInsensitiveCompare(instance.status) == .orderedSame } ?? true)
            && (self.type.map { $0 == instance.type } ?? true)
            && (self.name.map { instance.name.localizedCaseInsensitiveContains($0) } ?? true)
    }
}
