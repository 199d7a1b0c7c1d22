import Hummingbird
import OrcastraRuntime

/// Failures on the dashboard's page routes answer an HTML page, not the JSON error shape.
///
/// A browser that navigated to `/instances` while Redis or the identity provider is down
/// should see a page that says what is wrong (same status, code and message as an API call
/// would get, e.g. 503 `redis_unavailable`), not raw JSON. Everything under `/api/`, the
/// health endpoints and static files keep the JSON shape of `ErrorMiddleware`, which still
/// logs and records the failure here.
struct HTMLErrorPages: RouterMiddleware {
    typealias Context = AppRequestContext
    let pages: PageRenderer

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            guard Self.isPage(request.uri.path) else { throw error }
            let apiError = ErrorMiddleware.apiError(for: error, request: request, context: context)
            var response = try self.pages.error(apiError.status, title: Self.title(apiError), message: apiError.message)
            for field in apiError.headers where response.headers[field.name] == nil { response.headers.append(field) }
            return response
        }
    }

    /// Page routes: everything a browser navigates to, not the API, health or assets.
    static func isPage(_ path: String) -> Bool {
        !(path.hasPrefix("/api/") || path.hasPrefix("/static/") || path == "/health" || path == "/healthz")
    }

    static func title(_ error: APIError) -> String {
        switch error.status.code {
        case 404: "Page not found"
        case 503: "Temporarily unavailable"
        case 500...: "Something went wrong"
        default: "This request could not be completed"
        }
    }
}
