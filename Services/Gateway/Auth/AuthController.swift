import Foundation
import HTTPTypes
import Hummingbird
import Logging
import OrcastraModels
import OrcastraRuntime

/// Sign-in and sign-out: `/login` → provider → `/api/auth/callback/authentik` → session;
/// `GET /logout` asks, `POST /logout` signs out → provider's end-session → `/signin`.
struct AuthController {
    let party: RelyingParty
    let vault: SessionVault
    let guardian: SessionGuard
    let api: APIClient
    let pages: PageRenderer
    let publicURL: String
    /// `NEXTAUTH_URL`'s origin, which sign-out must come from.
    let publicOrigin: String
    let clientIP: ClientIPPolicy
    let logger: Logger

    var secureCookies: Bool { self.publicURL.hasPrefix("https://") }

    func addRoutes(to router: Router<AppRequestContext>) {
        router.get("/login", use: self.login)
        router.get(RouterPath(stringLiteral: RelyingParty.callbackPath), use: self.callback)
        router.get("/logout", use: self.confirmLogout)
        router.post("/logout", use: self.logout)
        router.get("/signin", use: self.signin)
    }

    /// Starts a sign-in: fresh state, nonce and PKCE verifier in a signed cookie, then off to the provider.
    @Sendable func login(_ request: Request, context: AppRequestContext) async throws -> Response {
        let login = LoginState.start(returnTo: request.uri.queryParameters["return_to"].map(String.init) ?? "/")
        let target: String
        do {
            target = try await self.party.authorizationURL(for: login)
        } catch {
            self.logger.error("identity provider unreachable", metadata: ["error": "\(error)"])
            return try self.pages.error(.badGateway, title: "Sign-in is unavailable", message: "The identity provider did not answer. Try again in a moment.")
        }
        var response = Response.redirect(to: target, type: .found)
        response.setCookie(self.cookie(LoginState.cookieName, try login.sealed(with: self.party.settings.keys.cookieSigning),
                                       maxAge: Int(LoginState.lifetime), path: RelyingParty.callbackPath))
        return response
    }

    /// The provider's answer. Every failure is a 403 page (the sign-in is not trusted), audited.
    @Sendable func callback(_ request: Request, context: AppRequestContext) async throws -> Response {
        let query = request.uri.queryParameters
        guard let cookie = request.cookies[LoginState.cookieName]?.value,
              let login = LoginState.open(cookie, with: self.party.settings.keys.cookieSigning) else {
            // No sign-in was started from this browser: logged here only, never sent to the
            // API, so a loop hitting this URL costs the API nothing (security rule 2).
            return try self.refuse(request, context, "missing, forged or expired sign-in state", shown: "This sign-in link has expired. Please sign in again.")
        }
        guard let state = query["state"].map(String.init), login.matches(state: state) else {
            return try await self.fail(request, context, "state does not match", shown: "This sign-in could not be verified. Please sign in again.")
        }
        if let error = query["error"] {
            return try await self.fail(request, context, "provider said \(error)", shown: "The identity provider refused the sign-in (\(error)).")
        }
        guard let code = query["code"].map(String.init), !code.isEmpty else {
            return try await self.fail(request, context, "no code", shown: "The identity provider sent no authorization code.")
        }
        let tokens: TokenResponse
        let claims: TokenClaims
        do {
            tokens = try await self.party.exchange(code: code, verifier: login.verifier)
            guard let idToken = tokens.idToken else { throw TokenRejection("no ID token in the token response") }
            claims = try await self.party.verifyIDToken(idToken, nonce: login.nonce)
        } catch {
            return try await self.fail(request, context, "token exchange or ID token refused: \(error)", shown: "The sign-in could not be completed. Please try again.")
        }
        let client = self.clientIP.resolve(request, context: context)
        let session: GatewaySession
        do {
            let start = SessionStart(ip: client.ip, userAgent: request.headers[.userAgent])
            let apiSession = try await self.api.startSession(accessToken: tokens.accessToken, start, requestID: context.state.requestID, client: client.ip)
            let identity = try await self.api.me(accessToken: tokens.accessToken, session: apiSession.id, requestID: context.state.requestID, client: client.ip)
            session = GatewaySession(
                apiSessionID: apiSession.id, accessToken: tokens.accessToken, refreshToken: tokens.refreshToken,
                idToken: tokens.idToken ?? "", accessExpires: Date().timeIntervalSince1970 + Double(tokens.expiresIn ?? 300),
                identity: identity, createdAt: Date().timeIntervalSince1970)
        } catch {
            self.logger.error("the API refused the new session", metadata: ["error": "\(error)", "subject": "\(claims.subject ?? "")"])
            return try self.pages.error(.badGateway, title: "Sign-in is unavailable", message: "Orcastra could not start your session. Try again in a moment.")
        }
        // A new id at every sign-in; whatever session the browser had before is dropped.
        if let old = SessionVault.cookieID(in: request.headers) { try? await self.vault.delete(old) }
        let id = try await self.vault.create(session)
        var response = Response.redirect(to: login.returnTo, type: .found)
        response.setCookie(self.cookie(SessionVault.cookieName, id, maxAge: self.vault.cookieLifetime, path: "/"))
        response.setCookie(self.cookie(LoginState.cookieName, "", maxAge: 0, path: RelyingParty.callbackPath))
        return response
    }

    /// A page with a sign-out button, not a sign-out: a GET must not change anything, or any
    /// site could sign people out with a link or an image.
    @Sendable func confirmLogout(_ request: Request, context: AppRequestContext) async throws -> Response {
        guard let current = try await self.guardian.current(request, context: context) else {
            return Response.redirect(to: "/signin", type: .found)
        }
        return try self.pages.render("signout", ["title": "Orcastra — sign out"], user: current.session.identity).asResponse
    }

    /// Ends the session here and at the API, then lets the provider end its own. Only from
    /// the dashboard's own pages (the `Origin` check the API proxy applies).
    @Sendable func logout(_ request: Request, context: AppRequestContext) async throws -> Response {
        guard SameOrigin.allows(request, publicOrigin: self.publicOrigin) else {
            return try self.pages.error(.forbidden, title: "Sign-out refused", message: "Sign out from the Orcastra dashboard itself.")
        }
        let signedOut = self.publicURL + "/signin"
        var target = signedOut
        // Through the guard, so an expired access token is refreshed and the API hears the sign-out.
        if let current = try? await self.guardian.current(request, context: context) {
            let (id, session) = (current.id, current.session)
            do {
                try await self.api.logout(accessToken: session.accessToken, session: session.apiSessionID, requestID: context.state.requestID,
                                          client: self.clientIP.resolve(request, context: context).ip)
            } catch {
                self.logger.warning("the API did not record the sign-out", metadata: ["error": "\(error)"])
            }
            try await self.vault.delete(id)
            target = await self.party.endSessionURL(returnTo: signedOut) ?? signedOut
        }
        // 303: the browser follows a POST's answer with a GET.
        var response = Response.redirect(to: target, type: .normal)
        response.setCookie(self.cookie(SessionVault.cookieName, "", maxAge: 0, path: "/"))
        return response
    }

    /// The signed-out page with its "Sign in" button.
    @Sendable func signin(_ request: Request, context: AppRequestContext) async throws -> HTML {
        if try await self.guardian.current(request, context: context) != nil {
            return try self.pages.render("signin", ["title": "Orcastra — sign in", "signedIn": true])
        }
        return try self.pages.render("signin", ["title": "Orcastra — sign in"])
    }

    /// A refused sign-in that this browser really started (it holds a valid state cookie):
    /// audited through the API, then answered like `refuse`.
    func fail(_ request: Request, _ context: AppRequestContext, _ reason: String, shown: String) async throws -> Response {
        let client = self.clientIP.resolve(request, context: context)
        do {
            try await self.api.reportLoginFailure(.init(reason: reason, ip: client.ip, userAgent: request.headers[.userAgent]), requestID: context.state.requestID)
        } catch {
            self.logger.warning("could not report the failed sign-in to the audit trail", metadata: ["error": "\(error)"])
        }
        return try self.refuse(request, context, reason, shown: shown)
    }

    /// A refused sign-in, logged here with the client's address: a 403 page, state cookie cleared.
    func refuse(_ request: Request, _ context: AppRequestContext, _ reason: String, shown: String) throws -> Response {
        let client = self.clientIP.resolve(request, context: context)
        self.logger.warning("sign-in refused", metadata: ["reason": "\(reason)", "client_ip": "\(client.ip ?? "")", "request_id": "\(context.state.requestID)"])
        var response = try self.pages.error(.forbidden, title: "Sign-in failed", message: shown)
        response.setCookie(self.cookie(LoginState.cookieName, "", maxAge: 0, path: RelyingParty.callbackPath))
        return response
    }

    /// HttpOnly, SameSite=Lax (the provider's redirect back is a top-level GET), Secure on https.
    func cookie(_ name: String, _ value: String, maxAge: Int, path: String) -> Cookie {
        Cookie(name: name, value: value, maxAge: maxAge, path: path, secure: self.secureCookies, httpOnly: true, sameSite: .lax)
    }
}
