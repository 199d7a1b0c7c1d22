import Foundation
import Hummingbird
import OrcastraModels
import OrcastraRuntime

/// `/api/v1/api-keys`: create (the key is shown once), list (own; an admin sees all), revoke.
struct APIKeyController {
    let store: APIKeyStore
    let settings: APIKeySettings
    let authorizer: Authorizer

    func addRoutes(to routes: AccessRoutes) {
        routes.post("api-keys", .signedIn, use: self.create)
        routes.get("api-keys", .signedIn, use: self.list)
        routes.delete("api-keys/:id", .signedIn, use: self.revoke)
    }

    /// `{"name": "ci", "expires_in_days": 30, "scope": "read_only", "role": "tenant"}`; all but
    /// `name` are optional. The expiry is `expires_at` or `expires_in_days` (not both), at most
    /// `API_KEY_MAX_DAYS` away, `API_KEY_DEFAULT_DAYS` when neither is given. `scope` defaults
    /// to `read_write`, which is what the dashboard's Account page has always made; `role` to the
    /// creator's own, and may only be lower.
    struct CreateRequest: Decodable {
        var name: String
        var expiresAt: Date?
        var expiresInDays: Int?
        var scope: APIKeyScope?
        var role: Role?

        enum CodingKeys: String, CodingKey {
            case name, scope, role
            case expiresAt = "expires_at"
            case expiresInDays = "expires_in_days"
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
        let expiresAt = try self.settings.expiry(at: body.expiresAt, inDays: body.expiresInDays)
        let role = body.role ?? identity.role
        guard role <= identity.role else {
            throw APIError(.unprocessableContent, code: "invalid_role", message: "a key may act as your role (\(identity.role.rawValue)) or a lower one, not \(role.rawValue)")
        }
        let created = try await self.store.create(
            name: name, expiresAt: expiresAt, scope: body.scope ?? .readWrite, role: role, owner: identity, requestID: context.state.requestID)
        var response = try JSONResponse.encode(created, status: .created)
        response.headers[.location] = "/api/v1/api-keys/\(created.info.id.uuidString.lowercased())"
        response.headers[.cacheControl] = "no-store"
        return response
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> ListPage<APIKeyInfo> {
        let identity = try context.requireIdentity()
        let page = try PageRequest(query: request.uri.queryParameters)
        return page.page(try await self.store.list(in: self.authorizer.ownScope(identity))) { PageRequest.newestFirst($0.createdAt, $0.id.uuidString) }
    }

    @Sendable func revoke(_ request: Request, context: AppRequestContext) async throws -> HTTPResponse.Status {
        let identity = try context.requireIdentity()
        let id = try context.parameters.uuid("id")
        guard try await self.store.revoke(id: id, actor: identity, in: self.authorizer.ownScope(identity), requestID: context.state.requestID) else {
            throw APIError(.notFound, code: "not_found", message: "no API key \(id.uuidString.lowercased()) of yours")
        }
        return .noContent
    }
}
