import Foundation
import Hummingbird
import OrcastraModels
import OrcastraRuntime

/// `/api/v1/instances` (across the clusters and projects the caller may see),
/// `/api/v1/clusters/<id>/instances/…` and `/api/v1/projects/<id>/instances`: list, read,
/// create, change state, delete. Changes return an operation at once (202);
/// `GET /operations/<id>` follows it. A create with `?dry_run=true` answers (200) what it
/// would take from the project's quota instead.
struct InstanceController {
    let instances: InstanceService

    func addRoutes(to routes: AccessRoutes) {
        routes.get("instances", .signedIn, use: self.list)
        routes.get("clusters/:id/instances", .entitlement(.canView, on: .cluster), use: self.listOne)
        routes.post("clusters/:id/instances", .entitlement(.canCreateInstances, on: .cluster), use: self.create)
        routes.post("projects/:id/instances", .entitlement(.canCreateInstances, on: .project), use: self.createInProject)
        routes.get("clusters/:id/instances/:name", .entitlement(.canView, on: .instance), use: self.get)
        routes.put("clusters/:id/instances/:name/state", .entitlement(.canUpdateState, on: .instance), use: self.changeState)
        routes.delete("clusters/:id/instances/:name", .entitlement(.canDelete, on: .instance), use: self.delete)
        routes.patch("clusters/:id/instances/:name", .entitlement(.canUpdateState, on: .instance), use: self.resize)
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

    /// With what the caller may do with it (`your_entitlements`).
    @Sendable func get(_ request: Request, context: AppRequestContext) async throws -> InstanceDetail {
        let target = try await self.target(request, context: context)
        var detail = try await self.instances.detail(target)
        let resource = AccessResource.instance(cluster: target.cluster.id, project: target.project, name: target.name)
        detail.yourEntitlements = try await self.instances.authorizer.held(by: try context.requireIdentity(), on: resource).entitlements
        return detail
    }

    /// The body is `InstanceRequests.Create`; its `project` (default `default`) is the LXD project.
    @Sendable func create(_ request: Request, context: AppRequestContext) async throws -> Response {
        let cluster = try await self.instances.cluster(try context.parameters.uuid("id"))
        let body = try await request.decode(as: InstanceRequests.Create.self, context: context)
        return try await self.create(body, in: cluster, project: try LXDNames.project(body.project), request, context: context)
    }

    /// Into a project (how its operators create): its cluster and LXD project; a `project` in
    /// the body must be that LXD project.
    @Sendable func createInProject(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (cluster, lxdProject) = try await self.instances.place(ofProject: try context.parameters.uuid("id"))
        let body = try await request.decode(as: InstanceRequests.Create.self, context: context)
        if let named = body.project, named != lxdProject {
            throw APIError(.unprocessableContent, code: "invalid_project",
                           message: "this project's instances go into LXD project \(lxdProject), not \(named); leave project out")
        }
        return try await self.create(body, in: cluster, project: lxdProject, request, context: context)
    }

    private func create(_ body: InstanceRequests.Create, in cluster: Cluster, project: String, _ request: Request, context: AppRequestContext) async throws -> Response {
        let dryRun = try InstanceRequests.dryRun(request.uri.queryParameters.get("dry_run"))
        switch try await self.instances.create(body, in: cluster, project: project, dryRun: dryRun, by: try context.requireIdentity(), requestID: context.state.requestID) {
        case .started(let operation): return try InstanceRoute.accepted(operation)
        case .dryRun(let answer): return try JSONResponse.encode(answer, status: .ok)
        }
    }

    /// The body is `InstanceRequests.StateChange`.
    @Sendable func changeState(_ request: Request, context: AppRequestContext) async throws -> Response {
        let target = try await self.target(request, context: context)
        let body = try await request.decode(as: InstanceRequests.StateChange.self, context: context)
        return try InstanceRoute.accepted(try await self.instances.changeState(target, body, by: try context.requireIdentity(), requestID: context.state.requestID))
    }

    /// The body is `InstanceRequests.Resize`.
    @Sendable func resize(_ request: Request, context: AppRequestContext) async throws -> Response {
        let target = try await self.target(request, context: context)
        let body = try await request.decode(as: InstanceRequests.Resize.self, context: context)
        return try InstanceRoute.accepted(try await self.instances.resize(target, body, by: try context.requireIdentity(), requestID: context.state.requestID))
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
