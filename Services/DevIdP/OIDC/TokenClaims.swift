import JWTKit

/// The payload of our ID and access tokens, in Authentik's shape.
///
/// Shape from Authentik's `authentik/providers/oauth2/id_token.py` (`IDToken`, `to_dict`,
/// `to_access_token`): registered claims, `acr` "goauthentik.io/providers/oauth2/default",
/// `nonce` when the request had one, the scope claims (`email`, `profile` mappings) merged in,
/// and for access tokens `azp` (client id) and `uid`. Absent claims are omitted, never null.
struct TokenClaims: JWTPayload, Equatable {
    var iss: String
    var sub: String
    /// The client id as a plain string; Authentik never sends a list here.
    var aud: String
    var exp: Int
    var iat: Int
    var authTime: Int
    var acr: String
    var nonce: String?
    // `email` scope
    var email: String?
    var emailVerified: Bool?
    // `profile` scope
    var name: String?
    var givenName: String?
    var preferredUsername: String?
    var nickname: String?
    var groups: [String]?
    // access tokens only
    var azp: String?
    var uid: String?

    static let defaultACR = "goauthentik.io/providers/oauth2/default"

    enum CodingKeys: String, CodingKey {
        case iss, sub, aud, exp, iat, acr, nonce, email, name, nickname, groups, azp, uid
        case authTime = "auth_time"
        case emailVerified = "email_verified"
        case givenName = "given_name"
        case preferredUsername = "preferred_username"
    }

    /// Deliberately empty: jwt-kit calls it after the signature check, but whether a token's
    /// age matters depends on the endpoint (end-session accepts expired ID tokens), so each
    /// caller checks `exp`, `iss` and `aud` itself against the injected clock.
    func verify(using algorithm: some JWTAlgorithm) async throws {}

    /// The claims of `user` for `scopes`, valid from `now` for `lifetime` seconds.
    static func identity(
        of user: DirectoryUser, scopes: Set<String>, issuer: String, clientID: String,
        now: Int, lifetime: Int, authTime: Int, nonce: String?
    ) -> TokenClaims {
        var claims = TokenClaims(
            iss: issuer, sub: user.uid, aud: clientID, exp: now + lifetime, iat: now, authTime: authTime,
            acr: Self.defaultACR, nonce: nonce
        )
        if scopes.contains("email") {
            claims.email = user.email
            claims.emailVerified = true
        }
        if scopes.contains("profile") {
            claims.name = user.name
            claims.givenName = user.name
            claims.preferredUsername = user.username
            claims.nickname = user.username
            claims.groups = user.groups
        }
        return claims
    }

    /// The access-token form: the same claims plus `azp` and `uid`.
    ///
    /// Authentik draws `uid` afresh for every access token (`generate_id()` in
    /// `to_access_token`), so a resource server cannot use it to recognise a user; `sub` is
    /// the stable identifier. We do the same so that such a mistake shows up here first.
    func accessToken(clientID: String) -> TokenClaims {
        var claims = self
        claims.azp = clientID
        claims.uid = RandomToken.make(bytes: 30)
        return claims
    }
}
