import Foundation
import Hummingbird
import OrcastraModels
import OrcastraRuntime

/// `/api/v1/instances` (across the clusters the caller may see) and
/// `/api/v1/clusters/<id>/instances/…`: list, read, create, change state,
/// delete. Changes return an operation at once (202); `GET /operations/<id>` follows it.
struct InstanceController {
    let instances: InstanceService

    func addRoutes(to routes: AccessRoutes) {
        routes.get("instances", .signedIn, use: self.list)
        routes.get("clusters/:id/instances", .entitlement(.canView, on: .cluster), use: self.listOne)
        routes.post("clusters/:id/instances", .entitlement(.canCreateInstances, on: .cluster), use: self.create)
        routes.get("clusters/:id/instances/:name", .entitlement(.canView, on: .instance), use: self.get)
        routes.put("clusters/:id/instances/:name/state", .entitlement(.canUpdateState, on: .instance), use: self.changeState)
        routes.delete("clusters/:id/instances/:name", .entitlement(.canDelete, on: .instance), use: self.delete)
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> InstanceList {
        let caller = try context.requireIdentity()
        let query = request.uri.queryParameters
        let page = try PageRequest(query: query)
        return try await self.instances.list(for: caller, filter: try InstanceFilter { query.get($0) }, page: page)
    }

    /// One cluster's instances, failing (502/504) when it does not answer; paged by project and name.
    @Sendable func listOne(_ request: Request, context: AppRequestContext) async throws -> ListPage<InstanceSummary> {
        let page = try PageRequest(query: request.uri.queryParameters)
        return page.page(try await self.instances.list(cluster: try context.parameters.uuid("id"), project: request.uri.queryParameters.get("project"))) { $0.project + "\u{0}" + $0.name }
    }

    @Sendable func get(_ request: Request, context: AppRequestContext) async throws -> InstanceDetail {
        try await self.instances.detail(try await self.target(request, context: context))
    }

    /// The body is `InstanceRequests.Create`.
    @Sendable func create(_ request: Request, context: AppRequestContext) async throws -> Response {
        let caller = try context.requireIdentity()
        let cluster = try await self.instances.cluster(try context.parameters.uuid("id"))
        let body = try await request.decode(as: InstanceRequests.Create.self, context: context)
        return try InstanceRoute.accepted(try await self.instances.create(body, in: cluster, by: caller, requestID: context.state.requestID))
    }

    /// The body is `InstanceRequests.StateChange`.
    @Sendable func changeState(_ request: Request, context: AppRequestContext) async throws -> Response {
        let target = try await self.target(request, context: context)
        let body = try await request.decode(as: InstanceRequests.StateChange.self, context: context)
        return try InstanceRoute.accepted(try await self.instances.changeState(target, body, by: try context.requireIdentity(), requestID: context.state.requestID))
    }

    /// Refused while running unless `?force=true`, which stops it first.
    @Sendable func delete(_ request: Request, context: AppRequestContext) async throws -> Response {
        let target = try await self.target(request, context: context)
        let force = request.uri.queryParameters.get("force") == "true"
        return try InstanceRoute.accepted(try await self.instances.delete(target, force: force, by: try context.requireIdentity(), requestID: context.state.requestID))
    }

    func target(_ request: Request, context: AppRequestContext) async throws -> InstanceService.Target {
        try await InstanceRoute.target(request, context: context, in: self.instances)
    }
}

extension InstanceList: ResponseEncodable {}
extension InstanceDetail: ResponseEncodable {}
extension OperationInfo: ResponseEncodable {}
