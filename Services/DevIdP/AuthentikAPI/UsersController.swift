import Foundation
import Hummingbird
import OrcastraRuntime

/// `GET /api/v3/core/users/`: the seeded users, ordered by username as Authentik's
/// `UserViewSet` orders them, paginated; `PATCH /api/v3/core/users/<pk>/` with
/// `{"is_active": false}` deactivates one (true activates it again), answering the user as
/// Authentik's partial update does. Other fields of the seed are fixed and ignored here.
struct UsersController {
    let directory: UserDirectory
    let check: APITokenCheck
    /// Authentik's default avatar (its "none" avatar mode), under our public URL.
    let avatar: String

    func addRoutes(to router: Router<AppRequestContext>) {
        router.get("/api/v3/core/users", use: self.list)
        router.patch("/api/v3/core/users/:pk", use: self.update)
    }

    /// Django REST framework's answers: 404 `{"detail": "Not found."}` for an unknown pk, 400
    /// with the field's errors for a value of the wrong type.
    @Sendable func update(_ request: Request, context: AppRequestContext) async throws -> Response {
        if let refusal = try self.check.refusal(for: request, context: context) { return refusal }
        guard let pk = context.parameters.get("pk", as: Int.self), let user = self.directory.user(pk: pk) else {
            return try JSONResponse.encode(["detail": "Not found."], status: .notFound)
        }
        let body = try await request.body.collect(upTo: 64 * 1024)
        let fields = (try? JSONSerialization.jsonObject(with: Data(String(buffer: body).utf8))) as? [String: Any]
        guard let fields else { return try JSONResponse.encode(["detail": "JSON parse error"], status: .badRequest) }
        if let active = fields["is_active"] {
            guard let active = active as? Bool else { return try JSONResponse.encode(["is_active": ["Must be a valid boolean."]], status: .badRequest) }
            self.directory.setActive(active, pk: pk)
        }
        return try JSONResponse.encode(self.directory.apiUser(user, avatar: self.avatar), status: .ok)
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) throws -> Response {
        if let refusal = try self.check.refusal(for: request, context: context) { return refusal }
        let users = self.directory.users.sorted { $0.username < $1.username }
        guard let (pagination, slice) = Paginator.page(of: users, request: request) else {
            return try Paginator.invalidPage(context: context)
        }
        let results = slice.map { self.directory.apiUser($0, avatar: self.avatar) }
        return try JSONResponse.encode(Page(pagination: pagination, results: results), status: .ok)
    }
}
