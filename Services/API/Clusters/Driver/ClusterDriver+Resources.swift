import Foundation
import OrcastraModels

/// The kinds of server-wide objects the dashboard lists beside instances.
enum ResourceKind: String, CaseIterable, Sendable {
    case projects, profiles, networks, images
    case storagePools = "storage-pools"
}

/// Projects, profiles, networks, storage pools and images, as Orcastra's one list shape:
/// name, description and the few details worth a column.
extension ClusterDriver {
    /// Profiles, networks and images are listed in the driver's project; projects and storage
    /// pools are server-wide.
    func resources(_ kind: ResourceKind) async throws -> [ClusterResource] {
        let listed = self.inProject.merging(["recursion": "1"]) { $1 }
        switch kind {
        case .projects:
            let items: [LXD.Project] = try await self.restGet("/1.0/projects", query: ["recursion": "1"])
            return items.map { ClusterResource(name: $0.name, description: $0.description) }
        case .profiles:
            let items: [LXD.Profile] = try await self.restGet("/1.0/profiles", query: listed)
            return items.map { ClusterResource(name: $0.name, description: $0.description, details: ["used_by": String($0.usedBy?.count ?? 0)]) }
        case .networks:
            let items: [LXD.Network] = try await self.restGet("/1.0/networks", query: listed)
            return items.map {
                ClusterResource(name: $0.name, description: $0.description,
                                details: ["type": $0.type ?? "", "managed": String($0.managed ?? false), "status": $0.status ?? ""])
            }
        case .storagePools:
            let items: [LXD.StoragePool] = try await self.restGet("/1.0/storage-pools", query: ["recursion": "1"])
            return items.map { ClusterResource(name: $0.name, description: $0.description, details: ["driver": $0.driver ?? "", "status": $0.status ?? ""]) }
        case .images:
            let items: [LXD.Image] = try await self.restGet("/1.0/images", query: listed)
            return items.map {
                ClusterResource(name: $0.aliases?.first?.name ?? String($0.fingerprint.prefix(12)), description: $0.properties?["description"],
                                details: ["fingerprint": $0.fingerprint, "aliases": ($0.aliases ?? []).map(\.name).joined(separator: ","),
                                          "size": String($0.size ?? 0), "architecture": $0.architecture ?? "", "type": $0.type ?? ""])
            }
        }
    }
}
