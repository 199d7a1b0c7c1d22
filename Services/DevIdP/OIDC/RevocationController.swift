import Hummingbird
import OrcastraRuntime

/// `POST /application/o/revoke/` (RFC 7009).
///
/// Refresh tokens and opaque access tokens are revoked. JWT access tokens are self-contained
/// and nothing here stores them, so revoking one has no effect before it expires; the answer is
/// 200 all the same, as §2.2 asks for tokens the server does not (or no longer) know.
struct RevocationController {
    let clients: ClientAuthenticator
    let grants: GrantStore

    func addRoutes(to router: Router<AppRequestContext>) {
        router.post(RouterPath(OIDCEndpoints.revokePath), use: self.revoke)
    }

    @Sendable func revoke(_ request: Request, context: AppRequestContext) async throws -> Response {
        let form = try await FormFields.body(of: request)
        do {
            let client = try self.clients.authenticate(headers: request.headers, form: form)
            guard let token = form["token"] else { throw OAuthError.invalidRequest("token is required.") }
            self.grants.revokeRefreshToken(token, clientID: client.clientID)
            self.grants.revokeAccessToken(token, clientID: client.clientID)
            return Response(status: .ok, headers: JSONResponse.noStore)
        } catch let error as OAuthError {
            return try error.response(context: context)
        }
    }
}
