import Hummingbird
import OrcastraModels
import OrcastraRuntime

/// `GET /api/v1/me`: who the API thinks the caller is (id, subject, name, email, role, groups
/// and how they authenticated). The gateway reads it at sign-in to show name and role.
struct MeController {
    func addRoutes(to routes: AccessRoutes) {
        routes.get("me", .signedIn, use: self.show)
    }

    @Sendable func show(_ request: Request, context: AppRequestContext) throws -> Identity {
        try context.requireIdentity()
    }
}

extension Identity: ResponseEncodable {}
extension ListPage: ResponseEncodable {}
