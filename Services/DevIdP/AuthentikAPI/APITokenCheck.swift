import HTTPTypes
import Hummingbird
import OrcastraRuntime

/// Bearer-token authentication of the `/api/v3` subset, answering as Authentik does.
///
/// Messages and statuses from Authentik's `authentik/api/authentication.py` under Django REST
/// framework: no header → 403 "Authentication credentials were not provided."; a scheme other
/// than Bearer → 403 "Unsupported authentication type"; any other token → 403 "Token
/// invalid/expired". (403, not 401: Authentik's authentication class sends no
/// `WWW-Authenticate` challenge, and DRF then answers 403.) Without `DEVIDP_API_TOKEN` no
/// token is valid.
struct APITokenCheck: Sendable {
    let token: String?

    /// nil when the request may go on, else the 403 to send.
    func refusal(for request: Request, context: AppRequestContext) throws -> Response? {
        guard let header = request.headers[.authorization]?.trimmingCharacters(in: .whitespaces), header.contains(" ") else {
            return try Self.forbidden("Authentication credentials were not provided.", context: context)
        }
        let scheme = header.prefix { $0 != " " }
        let credentials = header.drop { $0 != " " }.trimmingCharacters(in: .whitespaces)
        guard scheme.lowercased() == "bearer" else {
            return try Self.forbidden("Unsupported authentication type", context: context)
        }
        guard let expected = self.token, SecureCompare.equal(credentials, expected) else {
            return try Self.forbidden("Token invalid/expired", context: context)
        }
        return nil
    }

    static func forbidden(_ detail: String, context: AppRequestContext) throws -> Response {
        context.state.error = "forbidden: \(detail)"
        return try JSONResponse.encode(["detail": detail], status: .forbidden)
    }
}
