import Hummingbird
import OrcastraRuntime

/// `GET|POST /application/o/<slug>/end-session/` (OpenID Connect RP-Initiated Logout 1.0).
///
/// Nothing is kept between sign-ins, so there is no session to end: this only decides where
/// the browser goes next. It goes to `post_logout_redirect_uri` when that is registered
/// exactly, any `id_token_hint` is one of our ID tokens for this client (expired ones
/// included: a hint is usually old by the time the user signs out) and any `client_id` is our
/// client's (the gateway sends `client_id` instead of a hint, which §2 of the specification
/// allows); otherwise it sees a signed-out page.
struct EndSessionController {
    let endpoints: OIDCEndpoints
    let client: OIDCClient
    let verifier: TokenVerifier

    func addRoutes(to router: Router<AppRequestContext>) {
        router.get(RouterPath(self.endpoints.endSessionPath), use: self.endSession)
        router.post(RouterPath(self.endpoints.endSessionPath), use: self.endSession)
    }

    @Sendable func endSession(_ request: Request, context: AppRequestContext) async throws -> Response {
        var fields = FormFields(query: request)
        if request.method == .post { fields = try await FormFields.body(of: request) }
        var hintProblem: String?
        if let hint = fields["id_token_hint"], await self.verifier.verify(hint, allowExpired: true) == nil {
            hintProblem = "id_token_hint is not an ID token of this provider for this application"
        } else if let clientID = fields["client_id"], clientID != self.client.clientID {
            hintProblem = "client_id \(clientID) is not this provider's application"
        }
        if hintProblem == nil, let target = fields["post_logout_redirect_uri"], self.client.postLogoutRedirectURIs.contains(target) {
            return AuthorizeController.redirect(to: RedirectURL.appending([("state", fields["state"])], to: target))
        }
        if let problem = hintProblem {
            context.state.error = "invalid_request: \(problem)"
        } else if let target = fields["post_logout_redirect_uri"] {
            context.state.error = "invalid_request: post_logout_redirect_uri \(target) is not registered"
        }
        let page = HTMLPage(
            title: "You have been signed out",
            body: "<p>You have been signed out of the Orcastra development identity provider.</p>\n<p>You can close this window.</p>"
        )
        return try page.response(from: request, context: context)
    }
}
