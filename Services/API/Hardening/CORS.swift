import HTTPTypes
import Hummingbird
import OrcastraRuntime

/// `CORS_ORIGINS`: the exact origins (`scheme://host[:port]`) whose pages may call the API from
/// a browser with credentials. `*` is refused: with credentials allowed it would let any site
/// act with a visitor's cookies or keys. Unset or empty → no cross-origin access at all.
struct CORSSettings: Sendable, Equatable {
    var origins: Set<String>

    static let methods = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS"
    static let allowedHeaders = "Authorization, Content-Type, X-API-Key, X-Request-ID"
    static let exposedHeaders = "X-Request-ID, Location, Retry-After"

    /// nil when no origin is listed.
    static func read(_ s: Settings) throws(ConfigError) -> CORSSettings? {
        var origins: Set<String> = []
        for entry in s.list("CORS_ORIGINS", default: []) {
            guard entry != "*" else {
                throw ConfigError("CORS_ORIGINS", "may not be *: credentials are allowed, so every origin must be listed exactly")
            }
            let origin = entry.hasSuffix("/") ? String(entry.dropLast()) : entry
            guard let schemeEnd = origin.range(of: "://"), ["http", "https"].contains(origin[..<schemeEnd.lowerBound].lowercased()),
                  !origin[schemeEnd.upperBound...].isEmpty, !origin[schemeEnd.upperBound...].contains(where: { "/?#*@ ".contains($0) }) else {
                throw ConfigError("CORS_ORIGINS", "has '\(entry)', which is not an origin like https://dashboard.example.com")
            }
            origins.insert(origin.lowercased())
        }
        return origins.isEmpty ? nil : CORSSettings(origins: origins)
    }
}

/// Answers CORS for the listed origins only: a preflight (`OPTIONS` with
/// `Access-Control-Request-Method`) gets 204 with the allowed methods and headers; other
/// answers to a listed origin carry `Access-Control-Allow-Origin: <that origin>` and
/// `Access-Control-Allow-Credentials: true`. A preflight from any other origin is 403 with a
/// message naming the setting; its other requests get no CORS headers, so the browser keeps
/// the answer from the page.
struct CORSMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let settings: CORSSettings

    static let requestMethod = HTTPField.Name("Access-Control-Request-Method")!
    static let allowOrigin = HTTPField.Name("Access-Control-Allow-Origin")!
    static let allowCredentials = HTTPField.Name("Access-Control-Allow-Credentials")!
    static let allowMethods = HTTPField.Name("Access-Control-Allow-Methods")!
    static let allowHeaders = HTTPField.Name("Access-Control-Allow-Headers")!
    static let exposeHeaders = HTTPField.Name("Access-Control-Expose-Headers")!
    static let maxAge = HTTPField.Name("Access-Control-Max-Age")!

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let origin = request.headers[.origin] else { return try await next(request, context) }
        let allowed = self.settings.origins.contains(origin.lowercased())
        if request.method == .options, request.headers[Self.requestMethod] != nil {
            guard allowed else {
                context.state.error = "cors_origin_refused"
                return try APIError(.forbidden, code: "cors_origin_refused",
                                    message: "Origin \(origin) may not call this API from a browser; CORS_ORIGINS lists the origins that may.",
                                    headers: [.vary: "Origin"]).response(from: request, context: context)
            }
            var response = Response(status: .noContent)
            self.allow(origin, in: &response.headers)
            response.headers[Self.allowMethods] = CORSSettings.methods
            response.headers[Self.allowHeaders] = CORSSettings.allowedHeaders
            response.headers[Self.maxAge] = "600"
            return response
        }
        var response = try await next(request, context)
        if allowed {
            self.allow(origin, in: &response.headers)
            response.headers[Self.exposeHeaders] = CORSSettings.exposedHeaders
        } else {
            response.headers[.vary] = "Origin"
        }
        return response
    }

    func allow(_ origin: String, in headers: inout HTTPFields) {
        headers[Self.allowOrigin] = origin
        headers[Self.allowCredentials] = "true"
        headers[.vary] = "Origin"
    }
}
