import Hummingbird
import OrcastraRuntime

/// `GET /api/v3/core/users/`: the seeded users, ordered by username as Authentik's
/// `UserViewSet` orders them, paginated.
struct UsersController {
    let directory: UserDirectory
    let check: APITokenCheck
    /// Authentik's default avatar (its "none" avatar mode), under our public URL.
    let avatar: String

    func addRoutes(to router: Router<AppRequestContext>) {
        router.get("/api/v3/core/users", use: self.list)
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
