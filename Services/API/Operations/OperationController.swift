import Foundation
import Hummingbird
import OrcastraModels
import OrcastraRuntime

/// `GET /api/v1/operations/<id>`: a long-running change's state and progress, for whoever
/// started it, the cluster's owner and admins. While it runs, the progress is read live from
/// the cluster (LXD reports percentages for downloads and unpacking).
struct OperationController {
    let tracker: OperationTracker
    let clusters: ClusterStore

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.get("operations/:id", use: self.get)
    }

    @Sendable func get(_ request: Request, context: AppRequestContext) async throws -> OperationInfo {
        let caller = try context.requireIdentity()
        let id = try context.parameters.uuid("id")
        let notFound = APIError(.notFound, code: "not_found", message: "no operation \(id.uuidString.lowercased())")
        guard let (info, createdBy, lxdOperation) = try await self.tracker.row(id) else { throw notFound }
        var visible = caller.role == .admin || createdBy == caller.id
        let cluster = try? await self.clusters.get(info.clusterID, visibleTo: caller)
        visible = visible || cluster != nil
        guard visible else { throw notFound }
        guard info.status == .running, let lxdOperation, let cluster else { return info }
        var live = info
        if let driver = try? await self.tracker.connections.driver(for: cluster).with(timeout: .seconds(2)),
           let operation = try? await driver.operation(lxdOperation), let progress = operation.progress {
            live.progress = progress.percent
            live.stage = progress.stage
        }
        return live
    }
}
