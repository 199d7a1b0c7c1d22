import Hummingbird
import Logging

/// Turns every error into the one JSON error shape, and records it for the access log.
///
/// An `APIErrorConvertible` (an `APIError`, or a domain error such as a cluster's or the
/// secret store's) is answered as it says, and logged at error level when that is a 500.
/// `HTTPError` keeps its status and message (Hummingbird's decoders say which field was
/// malformed); errors we did not mean to answer become 500 "internal_error" and are logged
/// with the request id, never sent.
public struct ErrorMiddleware: RouterMiddleware {
    public typealias Context = AppRequestContext

    /// The routes' methods, for answering 405 instead of 404 (`AllowedMethods`).
    let allowed: AllowedMethods?

    public init(allowed: AllowedMethods? = nil) {
        self.allowed = allowed
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            let apiError = self.methodNotAllowed(error, request: request, context: context)
                ?? Self.apiError(for: error, request: request, context: context)
            return try apiError.response(from: request, context: context)
        }
    }

    /// The router's own 404 (no route for this method and path) when routes of other
    /// methods match the path: 405 with `Allow` listing them.
    func methodNotAllowed(_ error: any Error, request: Request, context: Context) -> APIError? {
        guard let allowed = self.allowed, let error = error as? HTTPError, error.status == .notFound, error.body == nil else { return nil }
        let methods = allowed.methods(for: request.uri.path)
        guard !methods.isEmpty, !methods.contains(request.method) else { return nil }
        let allow = methods.map(\.rawValue).joined(separator: ", ")
        let refusal = APIError(.methodNotAllowed, code: "method_not_allowed",
                               message: "\(request.method) is not allowed on \(request.uri.path); it answers \(allow).", headers: [.allow: allow])
        context.state.error = refusal.description
        return refusal
    }

    /// What `error` is answered as, logged when it is a 500 and recorded for the access log.
    /// The gateway's HTML error pages use it too, so a page and an API call agree on status,
    /// code and message.
    public static func apiError(for error: any Error, request: Request, context: Context) -> APIError {
        let apiError: APIError
        switch error {
        case let error as any APIErrorConvertible:
            apiError = error.apiError
            if apiError.status == .internalServerError {
                context.logger.error("request failed", metadata: ["code": "\(apiError.code)", "error": "\(String(reflecting: error))"])
            }
        case let error as HTTPError:
            let message = error.body ?? Self.defaultMessage(error.status, request: request)
            apiError = APIError(error.status, code: APIError.code(for: error.status), message: message, headers: error.headers)
        case let error as any HTTPResponseError:
            apiError = APIError(error.status, code: APIError.code(for: error.status), message: Self.defaultMessage(error.status, request: request))
        default:
            context.logger.error("unhandled error", metadata: ["error": "\(String(reflecting: error))"])
            apiError = APIError.internalError
        }
        context.state.error = apiError.description
        return apiError
    }

    static func defaultMessage(_ status: HTTPResponse.Status, request: Request) -> String {
        switch status.code {
        case 404: "No route matches \(request.method) \(request.uri.path)."
        case 405: "\(request.method) is not allowed on \(request.uri.path)."
        case 413: "The request body is larger than this server accepts."
        default: status.reasonPhrase
        }
    }
}
