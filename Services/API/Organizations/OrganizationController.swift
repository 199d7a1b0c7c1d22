import Foundation
import Hummingbird
import OrcastraModels
import OrcastraRuntime

/// `/api/v1/organizations`: a partner's customers. Partners create and manage their own;
/// admins see and manage all, and may create one for a partner (`owner_id`).
struct OrganizationController {
    let store: OrganizationStore
    let authorizer: Authorizer

    func addRoutes(to routes: AccessRoutes) {
        routes.get("organizations", .signedIn, use: self.list)
        routes.post("organizations", .entitlement(.canCreateOrganizations, on: .server), use: self.create)
        routes.get("organizations/:id", .entitlement(.canView, on: .organization), use: self.get)
        routes.patch("organizations/:id", .entitlement(.canEdit, on: .organization), use: self.update)
        routes.delete("organizations/:id", .entitlement(.canDelete, on: .organization), use: self.remove)
    }

    /// `{"name", "description"?, "owner_id"?}`; null is the same as absent.
    struct CreateRequest: Decodable {
        var name: String
        var description: String?
        var ownerID: UUID?

        enum CodingKeys: String, CodingKey {
            case name, description, ownerID = "owner_id"
        }
    }

    /// `{"name"?, "description"?}`: what is given changes.
    struct UpdateRequest: Decodable {
        var name: String?
        var description: String?
    }

    /// Paged by name.
    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> ListPage<Organization> {
        let page = try PageRequest(query: request.uri.queryParameters)
        let organizations = try await self.store.list(in: self.authorizer.ownerScope(try context.requireIdentity()))
        return page.page(organizations) { $0.name.lowercased() + "\u{0}" + $0.id.uuidString }
    }

    @Sendable func get(_ request: Request, context: AppRequestContext) async throws -> Organization {
        try await self.store.get(try context.parameters.uuid("id"))
    }

    @Sendable func create(_ request: Request, context: AppRequestContext) async throws -> Response {
        let caller = try context.requireIdentity()
        let body = try await request.decode(as: CreateRequest.self, context: context)
        let owner = body.ownerID ?? caller.id
        if owner != caller.id { try await self.authorizer.require(caller, .canActForOthers, on: .server) }
        let organization = try await self.store.create(
            name: try DisplayText.name(body.name), description: try DisplayText.description(body.description ?? ""), owner: owner,
            by: caller, requestID: context.state.requestID)
        var response = try JSONResponse.encode(organization, status: .created)
        response.headers[.location] = "/api/v1/organizations/\(organization.id.uuidString.lowercased())"
        return response
    }

    @Sendable func update(_ request: Request, context: AppRequestContext) async throws -> Organization {
        let body = try await request.decode(as: UpdateRequest.self, context: context)
        return try await self.store.update(try context.parameters.uuid("id"), name: try body.name.map(DisplayText.name),
                                           description: try body.description.map(DisplayText.description),
                                           by: try context.requireIdentity(), requestID: context.state.requestID)
    }

    @Sendable func remove(_ request: Request, context: AppRequestContext) async throws -> HTTPResponse.Status {
        try await self.store.delete(try context.parameters.uuid("id"), by: try context.requireIdentity(), requestID: context.state.requestID)
        return .noContent
    }
}

extension Organization: ResponseEncodable {}
