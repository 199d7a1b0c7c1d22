import Hummingbird
import OrcastraRuntime

/// `GET /api/v3/core/groups/`: the groups the seed file mentions, ordered by name as
/// Authentik's `GroupViewSet` orders them, paginated; `include_users=false` leaves out
/// `users_obj` as Authentik does.
struct GroupsController {
    let directory: UserDirectory
    let check: APITokenCheck

    func addRoutes(to router: Router<AppRequestContext>) {
        router.get("/api/v3/core/groups", use: self.list)
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) throws -> Response {
        if let refusal = try self.check.refusal(for: request, context: context) { return refusal }
        let groups = self.directory.groups.sorted { $0.name < $1.name }
        guard let (pagination, slice) = Paginator.page(of: groups, request: request) else {
            return try Paginator.invalidPage(context: context)
        }
        let includeUsers = FormFields(query: request)["include_users"]?.lowercased() != "false"
        let results = slice.map { self.directory.apiGroup($0, includeUsers: includeUsers) }
        return try JSONResponse.encode(Page(pagination: pagination, results: results), status: .ok)
    }
}
