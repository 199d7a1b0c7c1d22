import Foundation
import Hummingbird
import OrcastraModels
import OrcastraRuntime

/// `/api/v1/clusters/<id>/instances/<name>/snapshots` (partners and admins): list, create,
/// restore, delete. Changes are operations, like instance changes.
struct SnapshotController {
    let instances: InstanceController

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.get("clusters/:id/instances/:name/snapshots", use: self.list)
        group.post("clusters/:id/instances/:name/snapshots", use: self.create)
        group.post("clusters/:id/instances/:name/snapshots/:snapshot/restore", use: self.restore)
        group.delete("clusters/:id/instances/:name/snapshots/:snapshot", use: self.delete)
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> ListPage<SnapshotInfo> {
        let (cluster, project, name) = try await self.instances.target(request, context: context)
        let driver = try await self.instances.instances.connections.driver(for: cluster)
        let found: [LXD.Snapshot] = try await clusterCall {
            try await driver.get("/1.0/instances/\(ClusterDriver.escape(name))/snapshots", query: ["project": project, "recursion": "1"])
        }
        return ListPage(items: found.map { SnapshotInfo(name: $0.name, createdAt: $0.createdAt, stateful: $0.stateful ?? false) })
    }

    struct CreateRequest: Decodable {
        var name: String
    }

    @Sendable func create(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (cluster, project, name) = try await self.instances.target(request, context: context)
        let body = try await request.decode(as: CreateRequest.self, context: context)
        let snapshot = try InstanceNames.snapshot(body.name)
        struct LXDSnapshot: Encodable, Sendable { var name: String; var stateful = false }
        return try await self.change("snapshot.create", cluster: cluster, project: project, instance: name, snapshot: snapshot, context: context) { driver in
            try await driver.send(.POST, "/1.0/instances/\(ClusterDriver.escape(name))/snapshots", query: ["project": project], body: LXDSnapshot(name: snapshot))
        }
    }

    @Sendable func restore(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (cluster, project, name) = try await self.instances.target(request, context: context)
        let snapshot = try InstanceNames.snapshot(try context.parameters.require("snapshot"))
        struct Restore: Encodable, Sendable { var restore: String }
        return try await self.change("snapshot.restore", cluster: cluster, project: project, instance: name, snapshot: snapshot, context: context) { driver in
            try await driver.send(.PUT, "/1.0/instances/\(ClusterDriver.escape(name))", query: ["project": project], body: Restore(restore: snapshot))
        }
    }

    @Sendable func delete(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (cluster, project, name) = try await self.instances.target(request, context: context)
        let snapshot = try InstanceNames.snapshot(try context.parameters.require("snapshot"))
        return try await self.change("snapshot.delete", cluster: cluster, project: project, instance: name, snapshot: snapshot, context: context) { driver in
            try await driver.send(.DELETE, "/1.0/instances/\(ClusterDriver.escape(name))/snapshots/\(ClusterDriver.escape(snapshot))", query: ["project": project])
        }
    }

    private func change(_ action: String, cluster: Cluster, project: String, instance: String, snapshot: String, context: AppRequestContext,
                        step: @escaping OperationTracker.Step) async throws -> Response {
        let plan = OperationTracker.Plan(cluster: cluster, action: action, project: project, instance: instance, snapshot: snapshot, steps: [step])
        return try await self.instances.accepted(plan, caller: try context.requireIdentity(), context: context)
    }
}
