import Hummingbird
import NIOCore
import OrcastraModels

/// A failure that knows how it is answered: the one mechanism `ErrorMiddleware` reads.
///
/// Domain errors (a cluster's, the secret store's, the CA's) conform with their own mapping,
/// so they can be thrown as they are from any depth: no wrapper at each call site, and no
/// forgotten wrapper that turns a known failure into a 500.
public protocol APIErrorConvertible: Error {
    var apiError: APIError { get }
}

/// A failure we answer on purpose: a status, a stable code and a message for a person.
///
/// Handlers throw this, a domain error that converts to it, or Hummingbird's `HTTPError`
/// (which `ErrorMiddleware` maps to the same shape); anything else becomes a 500 without
/// internals.
public struct APIError: APIErrorConvertible, HTTPResponseError, CustomStringConvertible {
    public var status: HTTPResponse.Status
    public var code: String
    public var message: String
    public var headers: HTTPFields

    public init(_ status: HTTPResponse.Status, code: String, message: String, headers: HTTPFields = [:]) {
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers
    }

    /// The 500 for a failure we did not mean to answer: no internals, only where to look (the
    /// failure itself is logged with the request id).
    public static let internalError = APIError(.internalServerError, code: "internal_error",
                                               message: "Something went wrong on our side; the request id identifies it in our logs.")

    public var description: String { "\(self.code): \(self.message)" }

    public var apiError: APIError { self }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        let (headers, body) = try self.encoded()
        return Response(status: self.status, headers: headers, body: .init(byteBuffer: body))
    }

    /// The headers and JSON body this error is answered with, for code that writes answers
    /// without a router (the gateway's direct relay).
    public func encoded() throws -> (headers: HTTPFields, body: ByteBuffer) {
        var headers = self.headers
        headers[.contentType] = "application/json; charset=utf-8"
        return (headers, ByteBuffer(bytes: try JSONCoding.encoder.encode(ErrorBody(code: self.code, message: self.message))))
    }

    /// The snake_case code used when only a status is known.
    public static func code(for status: HTTPResponse.Status) -> String {
        switch status.code {
        case 400: "bad_request"
        case 401: "unauthorized"
        case 403: "forbidden"
        case 404: "not_found"
        case 405: "method_not_allowed"
        case 408: "request_timeout"
        case 409: "conflict"
        case 413: "payload_too_large"
        case 415: "unsupported_media_type"
        case 422: "unprocessable_entity"
        case 429: "rate_limited"
        case 502: "bad_gateway"
        case 503: "service_unavailable"
        case 504: "gateway_timeout"
        default: status.code >= 500 ? "internal_error" : "error"
        }
    }
}
