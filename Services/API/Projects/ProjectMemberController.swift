import Foundation
import Hummingbird
import OrcastraModels
import OrcastraRuntime

/// `/api/v1/projects/<id>/members`: who works in a project. Members see it (viewer) or also
/// run instances in it (operator); the organization's owner and admins manage them.
struct ProjectMemberController {
    let members: ProjectMemberStore
    let authorizer: Authorizer

    func addRoutes(to routes: AccessRoutes) {
        routes.get("projects/:id/members", .entitlement(.canView, on: .project), use: self.list)
        routes.post("projects/:id/members", .entitlement(.canManageMembers, on: .project), use: self.put)
        routes.delete("projects/:id/members/:user", .entitlement(.canManageMembers, on: .project), use: self.remove)
    }

    /// `{"user": "<id, subject or e-mail of someone who has signed in>", "role": "viewer|operator"}`.
    struct PutRequest: Decodable {
        var user: String
        var role: String

        func projectRole() throws -> ProjectRole {
            guard let role = ProjectRole(rawValue: self.role) else {
                throw APIError(.unprocessableContent, code: "invalid_role", message: "role must be viewer or operator")
            }
            return role
        }
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> ListPage<ProjectMember> {
        let page = try PageRequest(query: request.uri.queryParameters)
        return page.page(try await self.members.list(try context.parameters.uuid("id"))) { ($0.userName ?? "") + "\u{0}" + $0.userID.uuidString }
    }

    /// 201 for a new member, 200 for a changed role (or none).
    @Sendable func put(_ request: Request, context: AppRequestContext) async throws -> Response {
        let body = try await request.decode(as: PutRequest.self, context: context)
        let role = try body.projectRole()
        let user = try await Self.user(body.user, in: self.authorizer)
        let project = try context.parameters.uuid("id")
        let added = try await self.members.put(user, as: role, in: project, by: try context.requireIdentity(), requestID: context.state.requestID)
        guard let member = try await self.members.list(project).first(where: { $0.userID == user.id }) else { throw APIError.internalError }
        return try JSONResponse.encode(member, status: added ? .created : .ok)
    }

    /// The active user `reference` names (id, subject or e-mail); 422 when there is none.
    static func user(_ reference: String, in authorizer: Authorizer) async throws -> Identity {
        let trimmed = reference.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty, trimmed.count <= 320, let user = try await authorizer.relations.user(trimmed) else {
            throw APIError(.unprocessableContent, code: "unknown_user",
                           message: "no active user '\(reference.prefix(320))': name someone who has signed in at least once (or was synced), by id, subject or e-mail")
        }
        return user
    }

    @Sendable func remove(_ request: Request, context: AppRequestContext) async throws -> HTTPResponse.Status {
        let project = try context.parameters.uuid("id"), user = try context.parameters.uuid("user")
        guard try await self.members.remove(user, from: project, by: try context.requireIdentity(), requestID: context.state.requestID) else {
            throw APIError(.notFound, code: "not_found", message: "user \(user.uuidString.lowercased()) is not a member of this project")
        }
        return .noContent
    }
}

extension ProjectMember: ResponseEncodable {}
