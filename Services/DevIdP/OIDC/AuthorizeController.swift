import Foundation
import HTTPTypes
import Hummingbird
import OrcastraModels
import OrcastraRuntime

/// `GET|POST /application/o/authorize/`: the sign-in form and its submission.
///
/// There is no single sign-on session: every authorization request shows the form, whoever
/// signed in before. Tests sign in as several users one after the other, and a remembered
/// session would silently reuse the previous one.
struct AuthorizeController {
    let client: OIDCClient
    let directory: UserDirectory
    let grants: GrantStore
    let clock: DevIdPClock
    let codeTTL: Duration

    func addRoutes(to router: Router<AppRequestContext>) {
        router.get(RouterPath(OIDCEndpoints.authorizePath), use: self.show)
        router.post(RouterPath(OIDCEndpoints.authorizePath), use: self.submit)
    }

    /// Validates the request and shows the form, or refuses it.
    @Sendable func show(_ request: Request, context: AppRequestContext) throws -> Response {
        let authorization = AuthorizationRequest(FormFields(query: request))
        do {
            _ = try authorization.validate(for: self.client)
        } catch {
            return try self.refuse(error, request: request, context: context)
        }
        return try SignInPage.form(authorization, client: self.client).response(from: request, context: context)
    }

    /// Checks the credentials: the form again with an error, or the redirect with a code.
    @Sendable func submit(_ request: Request, context: AppRequestContext) async throws -> Response {
        let form = try await FormFields.body(of: request)
        let authorization = AuthorizationRequest(form)
        let validated: ValidatedAuthorization
        do {
            validated = try authorization.validate(for: self.client)
        } catch {
            return try self.refuse(error, request: request, context: context)
        }
        let username = form["username"] ?? ""
        guard let user = self.directory.authenticate(username: username, password: form["password"] ?? "") else {
            context.state.error = "access_denied: wrong username or password"
            return try SignInPage.form(authorization, client: self.client, username: username, error: "Invalid username or password.")
                .response(from: request, context: context)
        }
        context.state.user = AccessLogUser(id: user.uid, type: "user", groups: user.groups)
        let now = self.clock.now()
        let code = self.grants.issueCode(
            AuthorizationGrant(
                clientID: self.client.clientID, redirectURI: validated.redirectURI, username: user.username,
                scopes: validated.scopes, nonce: authorization.nonce, codeChallenge: validated.codeChallenge,
                authTime: Int(now.timeIntervalSince1970),
                expiresAt: now.addingTimeInterval(TimeInterval(self.codeTTL.components.seconds))
            ),
            now: now
        )
        return Self.redirect(to: RedirectURL.appending([("code", code), ("state", authorization.state)], to: validated.redirectURI))
    }

    private func refuse(_ failure: AuthorizationFailure, request: Request, context: AppRequestContext) throws -> Response {
        switch failure {
        case .page(let message):
            context.state.error = "invalid_request: \(message)"
            return try SignInPage.refused(message).response(from: request, context: context)
        case .redirect(let redirectURI, let error, let description, let state):
            context.state.error = "\(error): \(description)"
            return Self.redirect(to: RedirectURL.appending(
                [("error", error), ("error_description", description), ("state", state)], to: redirectURI
            ))
        }
    }

    static func redirect(to location: String) -> Response {
        Response(status: .found, headers: [.location: location, .cacheControl: "no-store"])
    }
}
