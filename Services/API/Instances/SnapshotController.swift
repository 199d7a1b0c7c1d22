import Foundation
import Hummingbird
import OrcastraModels
import OrcastraRuntime

/// `/api/v1/clusters/<id>/instances/<name>/snapshots` (partners and admins): list, create,
/// restore, delete. Changes are operations, like instance changes.
struct SnapshotController {
    let instances: InstanceService

    func addRoutes(to routes: AccessRoutes) {
        routes.get("clusters/:id/instances/:name/snapshots", .entitlement(.canView, on: .instance), use: self.list)
        routes.post("clusters/:id/instances/:name/snapshots", .entitlement(.canManageSnapshots, on: .instance), use: self.create)
        routes.post("clusters/:id/instances/:name/snapshots/:snapshot/restore", .entitlement(.canManageSnapshots, on: .instance), use: self.restore)
        routes.delete("clusters/:id/instances/:name/snapshots/:snapshot", .entitlement(.canManageSnapshots, on: .instance), use: self.delete)
    }

    /// Paged, oldest first.
    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> ListPage<SnapshotInfo> {
        let page = try PageRequest(query: request.uri.queryParameters)
        return page.page(try await self.instances.snapshots(try await InstanceRoute.target(request, context: context, in: self.instances))) {
            ($0.createdAt ?? "") + "\u{0}" + $0.name
        }
    }

    struct CreateRequest: Decodable {
        var name: String
    }

    @Sendable func create(_ request: Request, context: AppRequestContext) async throws -> Response {
        let target = try await InstanceRoute.target(request, context: context, in: self.instances)
        let body = try await request.decode(as: CreateRequest.self, context: context)
        return try InstanceRoute.accepted(try await self.instances.createSnapshot(
            target, named: body.name, by: try context.requireIdentity(), requestID: context.state.requestID))
    }

    @Sendable func restore(_ request: Request, context: AppRequestContext) async throws -> Response {
        let target = try await InstanceRoute.target(request, context: context, in: self.instances)
        return try InstanceRoute.accepted(try await self.instances.restoreSnapshot(
            target, named: try context.parameters.require("snapshot"), by: try context.requireIdentity(), requestID: context.state.requestID))
    }

    @Sendable func delete(_ request: Request, context: AppRequestContext) async throws -> Response {
        let target = try await InstanceRoute.target(request, context: context, in: self.instances)
        return try InstanceRoute.accepted(try await self.instances.deleteSnapshot(
            target, named: try context.parameters.require("snapshot"), by: try context.requireIdentity(), requestID: context.state.requestID))
    }
}
