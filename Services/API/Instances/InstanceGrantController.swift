import Foundation
import Hummingbird
import OrcastraModels
import OrcastraRuntime

/// `/api/v1/clusters/<id>/instances/<name>/grants?project=<lxd project>`: access to one
/// instance for someone outside its project (a contractor), as a project role on that instance
/// only; managed by whoever manages the project's members (its organization's owner, the
/// cluster's owner, admins). Only instances in Orcastra's projects take grants: the grantee's
/// calls go with the project's restricted certificate.
struct InstanceGrantController {
    let instances: InstanceService
    let grants: InstanceGrantStore
    let authorizer: Authorizer

    func addRoutes(to routes: AccessRoutes) {
        routes.get("clusters/:id/instances/:name/grants", .entitlement(.canManageMembers, on: .instance), use: self.list)
        routes.post("clusters/:id/instances/:name/grants", .entitlement(.canManageMembers, on: .instance), use: self.put)
        routes.delete("clusters/:id/instances/:name/grants/:user", .entitlement(.canManageMembers, on: .instance), use: self.remove)
    }

    /// The instance the route names and its project; 422 outside Orcastra's projects.
    private func place(_ request: Request, context: AppRequestContext) async throws -> (project: UUID, target: InstanceService.Target) {
        let target = try await InstanceRoute.target(request, context: context, in: self.instances)
        guard let project = try await self.instances.project(on: target.cluster.id, lxdProject: target.project) else {
            throw APIError(.unprocessableContent, code: "not_in_a_project",
                           message: "instance \(target.name) is in LXD project \(target.project), which is not an Orcastra project; grants are for instances in projects")
        }
        return (project, target)
    }

    private static func audited(_ target: InstanceService.Target) -> AuditTarget {
        AuditTarget(type: "instance", id: target.name, host: target.cluster.name, project: target.project)
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> ListPage<ProjectMember> {
        let page = try PageRequest(query: request.uri.queryParameters)
        let (project, target) = try await self.place(request, context: context)
        return page.page(try await self.grants.list(project, instance: target.name)) { ($0.userName ?? "") + "\u{0}" + $0.userID.uuidString }
    }

    /// `{"user": "<id, subject or e-mail of someone who has signed in>", "role": "viewer|operator"}`;
    /// 201 for a new grant, 200 for a changed role (or none). The instance must exist.
    @Sendable func put(_ request: Request, context: AppRequestContext) async throws -> Response {
        let body = try await request.decode(as: ProjectMemberController.PutRequest.self, context: context)
        let role = try body.projectRole()
        let user = try await ProjectMemberController.user(body.user, in: self.authorizer)
        let (project, target) = try await self.place(request, context: context)
        _ = try await self.instances.reader(for: target).instance(target.name)
        let added = try await self.grants.put(user, as: role, on: target.name, of: project, by: try context.requireIdentity(),
                                              target: Self.audited(target), requestID: context.state.requestID)
        guard let grant = try await self.grants.list(project, instance: target.name).first(where: { $0.userID == user.id }) else { throw APIError.internalError }
        return try JSONResponse.encode(grant, status: added ? .created : .ok)
    }

    @Sendable func remove(_ request: Request, context: AppRequestContext) async throws -> HTTPResponse.Status {
        let user = try context.parameters.uuid("user")
        let (project, target) = try await self.place(request, context: context)
        guard try await self.grants.remove(user, on: target.name, of: project, by: try context.requireIdentity(),
                                           target: Self.audited(target), requestID: context.state.requestID) else {
            throw APIError(.notFound, code: "not_found", message: "user \(user.uuidString.lowercased()) has no grant on instance \(target.name)")
        }
        return .noContent
    }
}
