import Foundation
import Hummingbird
import OrcastraModels
import OrcastraRuntime

/// `/api/v1/api-keys`: create (the key is shown once), list (own; an admin sees all), revoke.
struct APIKeyController {
    let store: APIKeyStore

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.post("api-keys", use: self.create)
        group.get("api-keys", use: self.list)
        group.delete("api-keys/:id", use: self.revoke)
    }

    /// `{"name": "ci", "expires_at": "2027-01-01T00:00:00Z"}`; `expires_at` is optional and must
    /// be in the future.
    struct CreateRequest: Decodable {
        var name: String
        var expiresAt: Date?

        enum CodingKeys: String, CodingKey {
            case name
            case expiresAt = "expires_at"
        }
    }

    /// Only a signed-in person makes keys: a leaked key must not be able to mint successors
    /// that outlive its revocation.
    @Sendable func create(_ request: Request, context: AppRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        guard identity.authMethod != .apiKey else {
            throw APIError(.forbidden, code: "forbidden", message: "API keys are created by signing in, not with another API key")
        }
        let body = try await request.decode(as: CreateRequest.self, context: context)
        let name = body.name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...100).contains(name.count) else {
            throw APIError(.unprocessableContent, code: "invalid_name", message: "name must be 1 to 100 characters")
        }
        if let expires = body.expiresAt, expires <= Date() {
            throw APIError(.unprocessableContent, code: "invalid_expiry", message: "expires_at must be in the future")
        }
        let created = try await self.store.create(name: name, expiresAt: body.expiresAt, owner: identity, requestID: context.state.requestID)
        var response = try JSONResponse.encode(created, status: .created)
        response.headers[.location] = "/api/v1/api-keys/\(created.info.id.uuidString.lowercased())"
        response.headers[.cacheControl] = "no-store"
        return response
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> ListPage<APIKeyInfo> {
        let identity = try context.requireIdentity()
        let page = try PageRequest(query: request.uri.queryParameters)
        return page.page(try await self.store.list(owner: identity.role == .admin ? nil : identity.id)) { PageRequest.newestFirst($0.createdAt, $0.id.uuidString) }
    }

    @Sendable func revoke(_ request: Request, context: AppRequestContext) async throws -> HTTPResponse.Status {
        let identity = try context.requireIdentity()
        let id = try context.parameters.uuid("id")
        guard try await self.store.revoke(id: id, actor: identity, requestID: context.state.requestID) else {
            throw APIError(.notFound, code: "not_found", message: "no API key \(id.uuidString.lowercased()) of yours")
        }
        return .noContent
    }
}
