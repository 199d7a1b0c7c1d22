import Foundation

/// The token endpoint's success body (RFC 6749 §5.1 plus OIDC's `id_token`).
struct TokenResponse: Codable, Sendable, Equatable {
    var accessToken: String
    var tokenType = "Bearer"
    /// Granted scopes, space-separated.
    var scope: String
    var expiresIn: Int
    var idToken: String
    /// Only when `offline_access` was granted.
    var refreshToken: String?

    enum CodingKeys: String, CodingKey {
        case accessToken = "access_token"
        case tokenType = "token_type"
        case scope
        case expiresIn = "expires_in"
        case idToken = "id_token"
        case refreshToken = "refresh_token"
    }
}

/// Mints the ID token, access token and (with `offline_access`) a refresh token for a user.
struct TokenIssuer: Sendable {
    let endpoints: OIDCEndpoints
    let client: OIDCClient
    let keys: KeyRing
    let grants: GrantStore
    let clock: DevIdPClock
    let accessTokenTTL: Duration
    let refreshTokenTTL: Duration
    let style: TokenStyle

    /// `nonce` goes into the ID and access token when given (the code flow); refreshes pass
    /// nil, as Authentik omits it from refreshed tokens.
    func issue(for user: DirectoryUser, scopes: [String], authTime: Int, nonce: String?) async throws -> TokenResponse {
        let now = self.clock.now()
        let lifetime = Int(self.accessTokenTTL.components.seconds)
        let identity = TokenClaims.identity(
            of: user, scopes: Set(scopes), issuer: self.endpoints.issuer, clientID: self.client.clientID,
            now: Int(now.timeIntervalSince1970), lifetime: lifetime, authTime: authTime, nonce: nonce
        )
        let key = self.keys.key
        let style = self.style.current
        let access = identity.accessToken(clientID: self.client.clientID)
        var response = TokenResponse(
            accessToken: style.opaqueAccessTokens
                ? self.grants.issueAccessToken(access, now: now)
                : try await key.sign(access, omittingKid: style.omitKid),
            scope: scopes.joined(separator: " "),
            expiresIn: lifetime,
            idToken: try await key.sign(identity, omittingKid: style.omitKid)
        )
        if scopes.contains("offline_access") {
            let grant = RefreshGrant(
                clientID: self.client.clientID, username: user.username, scopes: scopes, authTime: authTime,
                expiresAt: now.addingTimeInterval(TimeInterval(self.refreshTokenTTL.components.seconds))
            )
            response.refreshToken = self.grants.issueRefreshToken(grant, now: now)
        }
        return response
    }
}

/// Checks the tokens we issued when they come back (userinfo, introspection, end-session).
struct TokenVerifier: Sendable {
    let endpoints: OIDCEndpoints
    let client: OIDCClient
    let keys: KeyRing
    let grants: GrantStore
    let clock: DevIdPClock

    /// Signature by the current key, our issuer, our client as audience, and unless
    /// `allowExpired`, not expired. nil for anything else.
    func verify(_ token: String, allowExpired: Bool = false) async -> TokenClaims? {
        guard let claims = try? await self.keys.key.verify(token, as: TokenClaims.self) else { return nil }
        guard claims.iss == self.endpoints.issuer, claims.aud == self.client.clientID else { return nil }
        guard allowExpired || claims.exp > self.clock.seconds else { return nil }
        return claims
    }

    /// An access token: one of our live opaque ones, or a JWT as `verify` that carries `azp` (ID
    /// tokens do not), since Authentik only accepts tokens it stored as access tokens.
    func verifyAccessToken(_ token: String) async -> TokenClaims? {
        if let claims = self.grants.accessToken(token, now: self.clock.now()) {
            return claims.azp == self.client.clientID ? claims : nil
        }
        guard let claims = await self.verify(token), claims.azp == self.client.clientID else { return nil }
        return claims
    }
}
