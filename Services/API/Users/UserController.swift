import Foundation
import Hummingbird
import OrcastraModels
import OrcastraRuntime

/// `/api/v1/users`: who Orcastra knows (admins: everyone; partners: themselves and the members
/// of their organizations' projects; tenants: themselves), one user in detail, and
/// `POST /api/v1/users/sync` (admins) to read the identity provider's directory now.
struct UserController {
    let store: UserStore
    /// nil when no directory is configured (`AUTHENTIK_API_URL`, `AUTHENTIK_API_TOKEN`).
    let sync: UserSync?
    let authorizer: Authorizer

    func addRoutes(to routes: AccessRoutes) {
        routes.get("users", .signedIn, use: self.list)
        routes.get("users/:id", .signedIn, use: self.get)
        routes.post("users/sync", .entitlement(.canManageUsers, on: .server), use: self.syncNow)
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> ListPage<UserInfo> {
        let page = try PageRequest(query: request.uri.queryParameters)
        return page.page(try await self.visible(to: try context.requireIdentity())) { ($0.name ?? $0.subject).lowercased() + "\u{0}" + $0.id.uuidString }
    }

    /// A user outside the caller's scope is a 404, as one that does not exist.
    @Sendable func get(_ request: Request, context: AppRequestContext) async throws -> UserInfo {
        let id = try context.parameters.uuid("id")
        guard let user = try await self.visible(to: try context.requireIdentity(), only: id).first else {
            throw APIError(.notFound, code: "not_found", message: "no user \(id.uuidString.lowercased())")
        }
        return user
    }

    @Sendable func syncNow(_ request: Request, context: AppRequestContext) async throws -> UserSyncReport {
        guard let sync = self.sync else {
            throw APIError(.conflict, code: "sync_not_configured",
                           message: "no user directory is configured: set AUTHENTIK_API_URL and AUTHENTIK_API_TOKEN")
        }
        return try await sync.sync(requestID: context.state.requestID)
    }

    private func visible(to caller: Identity, only id: UUID? = nil) async throws -> [UserInfo] {
        try await self.store.list(in: self.authorizer.ownScope(caller), partner: caller.role >= .partner, id: id)
    }
}

extension UserInfo: ResponseEncodable {}
extension UserSyncReport: ResponseEncodable {}
