import HTTPTypes
import Hummingbird
import OrcastraRuntime

/// An OAuth error response, `{"error": …, "error_description": …}` (RFC 6749 §5.2).
///
/// Handlers throw it internally and turn it into a response themselves: the house
/// `ErrorMiddleware` would rewrite any thrown error into the `APIError` shape, which OAuth
/// clients do not understand.
struct OAuthError: Error, Encodable, Equatable {
    var status: HTTPResponse.Status = .badRequest
    var error: String
    var errorDescription: String
    var headers: HTTPFields = [:]

    enum CodingKeys: String, CodingKey {
        case error
        case errorDescription = "error_description"
    }

    static func invalidRequest(_ description: String) -> OAuthError {
        OAuthError(error: "invalid_request", errorDescription: description)
    }

    static func invalidGrant(_ description: String) -> OAuthError {
        OAuthError(error: "invalid_grant", errorDescription: description)
    }

    /// 401, with a Basic challenge when the client tried Basic (RFC 6749 §5.2).
    static func invalidClient(basicAttempted: Bool) -> OAuthError {
        OAuthError(
            status: .unauthorized, error: "invalid_client",
            errorDescription: "Client authentication failed (unknown client, wrong secret or no credentials).",
            headers: basicAttempted ? [.wwwAuthenticate: "Basic realm=\"orcastra-devidp\""] : [:]
        )
    }

    /// The JSON answer, never cached; the access log records the error code.
    func response(context: AppRequestContext) throws -> Response {
        context.state.error = "\(self.error): \(self.errorDescription)"
        var headers = self.headers
        headers.append(contentsOf: JSONResponse.noStore)
        return try JSONResponse.encode(self, status: self.status, headers: headers)
    }
}
