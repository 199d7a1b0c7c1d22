import Foundation
import Hummingbird
import OrcastraRuntime

/// `POST /application/o/token/`: the authorization-code and refresh-token grants.
struct TokenController {
    let clients: ClientAuthenticator
    let directory: UserDirectory
    let grants: GrantStore
    let issuer: TokenIssuer
    let clock: DevIdPClock

    func addRoutes(to router: Router<AppRequestContext>) {
        router.post(RouterPath(OIDCEndpoints.tokenPath), use: self.token)
    }

    @Sendable func token(_ request: Request, context: AppRequestContext) async throws -> Response {
        let form = try await FormFields.body(of: request)
        do {
            let client = try self.clients.authenticate(headers: request.headers, form: form)
            if let repeated = form.repeatedNames.first {
                throw OAuthError.invalidRequest("The parameter \(repeated) appears more than once.")
            }
            let tokens: TokenResponse
            switch form["grant_type"] {
            case "authorization_code": tokens = try await self.exchangeCode(form, client: client)
            case "refresh_token": tokens = try await self.refresh(form, client: client)
            case nil: throw OAuthError.invalidRequest("grant_type is required.")
            case let other?:
                throw OAuthError(error: "unsupported_grant_type", errorDescription: "The grant type \(other) is not supported here.")
            }
            return try JSONResponse.encode(tokens, status: .ok, headers: JSONResponse.noStore)
        } catch let error as OAuthError {
            return try error.response(context: context)
        }
    }

    /// RFC 6749 §4.1.3 with PKCE (RFC 7636 §4.6).
    private func exchangeCode(_ form: FormFields, client: OIDCClient) async throws -> TokenResponse {
        guard let code = form["code"] else { throw OAuthError.invalidRequest("code is required.") }
        guard let grant = self.grants.redeemCode(code, clientID: client.clientID, now: self.clock.now()) else {
            throw OAuthError.invalidGrant("The authorization code is unknown, expired or already used.")
        }
        guard form["redirect_uri"] == grant.redirectURI else {
            throw OAuthError.invalidGrant("redirect_uri does not match the one of the authorization request.")
        }
        switch (grant.codeChallenge, form["code_verifier"]) {
        case (let challenge?, let verifier?):
            guard PKCE.verify(verifier: verifier, challenge: challenge) else {
                throw OAuthError.invalidGrant("The code verifier does not match the code challenge.")
            }
        case (_?, nil):
            throw OAuthError.invalidGrant("code_verifier is required: the authorization request had a code challenge.")
        case (nil, _?):
            // A verifier for a code that had no challenge is a downgrade attempt (an attacker
            // who stripped the challenge from the authorization request); Authentik refuses it.
            throw OAuthError.invalidGrant("code_verifier was sent, but the authorization request had no code challenge.")
        case (nil, nil):
            break
        }
        guard let user = self.directory.user(named: grant.username) else {
            throw OAuthError.invalidGrant("The user of this code no longer exists.")
        }
        return try await self.issuer.issue(for: user, scopes: grant.scopes, authTime: grant.authTime, nonce: grant.nonce)
    }

    /// RFC 6749 §6 with rotation: every refresh returns a new refresh token and kills the old.
    private func refresh(_ form: FormFields, client: OIDCClient) async throws -> TokenResponse {
        guard let token = form["refresh_token"] else { throw OAuthError.invalidRequest("refresh_token is required.") }
        guard let grant = self.grants.redeemRefreshToken(token, clientID: client.clientID, now: self.clock.now()) else {
            throw OAuthError.invalidGrant("The refresh token is unknown, expired, revoked or already used.")
        }
        var scopes = grant.scopes
        if let requested = form["scope"] {
            let narrowed = requested.split(separator: " ").map(String.init)
            guard Set(narrowed).isSubset(of: Set(grant.scopes)) else {
                throw OAuthError(error: "invalid_scope", errorDescription: "A refresh cannot add scopes that were not granted.")
            }
            scopes = grant.scopes.filter { narrowed.contains($0) }
        }
        guard let user = self.directory.user(named: grant.username) else {
            throw OAuthError.invalidGrant("The user of this refresh token no longer exists.")
        }
        return try await self.issuer.issue(for: user, scopes: scopes, authTime: grant.authTime, nonce: nil)
    }
}
