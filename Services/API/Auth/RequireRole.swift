import Hummingbird
import OrcastraModels
import OrcastraRuntime

/// Lets through only callers whose role is at least `role`, for groups of admin-only routes
/// mounted behind the `Authenticator`.
struct RequireRole: RouterMiddleware {
    typealias Context = AppRequestContext
    let role: Role

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        _ = try context.require(self.role)
        return try await next(request, context)
    }
}
