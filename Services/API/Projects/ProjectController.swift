import Foundation
import Hummingbird
import OrcastraModels
import OrcastraRuntime

/// `/api/v1/projects` and `/api/v1/organizations/<id>/projects`: an organization's projects,
/// each an LXD project with a quota on one cluster. Creating one needs the right on both the
/// organization and the cluster (a partner's own; an admin's any).
struct ProjectController {
    let projects: ProjectService
    let authorizer: Authorizer

    func addRoutes(to routes: AccessRoutes) {
        routes.get("projects", .signedIn, use: self.list)
        routes.get("organizations/:id/projects", .entitlement(.canView, on: .organization), use: self.listOfOrganization)
        routes.post("organizations/:id/projects", .entitlement(.canCreateProjects, on: .organization), use: self.create)
        routes.get("projects/:id", .entitlement(.canView, on: .project), use: self.get)
        routes.patch("projects/:id", .entitlement(.canEdit, on: .project), use: self.update)
        routes.delete("projects/:id", .entitlement(.canDelete, on: .project), use: self.remove)
    }

    /// Paged by name.
    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> ListPage<Project> {
        let page = try PageRequest(query: request.uri.queryParameters)
        let caller = try context.requireIdentity()
        let projects = try await self.projects.store.list(in: self.authorizer.projectScope(caller))
        return page.page(try await self.withRoles(projects, for: caller)) { $0.name.lowercased() + "\u{0}" + $0.id.uuidString }
    }

    @Sendable func listOfOrganization(_ request: Request, context: AppRequestContext) async throws -> ListPage<Project> {
        let page = try PageRequest(query: request.uri.queryParameters)
        let projects = try await self.projects.store.list(in: .everyone, organization: try context.parameters.uuid("id"))
        return page.page(try await self.withRoles(projects, for: try context.requireIdentity())) { $0.name.lowercased() + "\u{0}" + $0.id.uuidString }
    }

    /// `your_role` filled in for the caller.
    private func withRoles(_ projects: [Project], for caller: Identity) async throws -> [Project] {
        let roles = try await self.projects.store.roles(of: caller.id, in: projects.map(\.id))
        return projects.map { project in
            var project = project
            project.yourRole = roles[project.id] ?? (caller.role == .admin ? "admin" : nil)
            return project
        }
    }

    /// The body is `ProjectRequests.Create`.
    @Sendable func create(_ request: Request, context: AppRequestContext) async throws -> Response {
        let caller = try context.requireIdentity()
        let body = try await request.decode(as: ProjectRequests.Create.self, context: context)
        try await self.authorizer.require(caller, .canCreateProjects, on: .cluster(body.clusterID))
        let project = try await self.projects.create(body, organization: try context.parameters.uuid("id"), by: caller, requestID: context.state.requestID)
        var response = try JSONResponse.encode(project, status: .created)
        response.headers[.location] = "/api/v1/projects/\(project.id.uuidString.lowercased())"
        return response
    }

    @Sendable func get(_ request: Request, context: AppRequestContext) async throws -> Project {
        try await self.withRoles([try await self.projects.detail(try context.parameters.uuid("id"))], for: try context.requireIdentity())[0]
    }

    /// The body is `ProjectRequests.Update`.
    @Sendable func update(_ request: Request, context: AppRequestContext) async throws -> Project {
        let body = try await request.decode(as: ProjectRequests.Update.self, context: context)
        return try await self.projects.update(try context.parameters.uuid("id"), body, by: try context.requireIdentity(), requestID: context.state.requestID)
    }

    @Sendable func remove(_ request: Request, context: AppRequestContext) async throws -> HTTPResponse.Status {
        try await self.projects.delete(try context.parameters.uuid("id"), by: try context.requireIdentity(), requestID: context.state.requestID)
        return .noContent
    }
}

extension Project: ResponseEncodable {}
