import Foundation
import OrcastraRuntime

/// What the provider said about an opaque access token: an introspection answer (RFC 7662 §2.2)
/// or a userinfo answer (OpenID Connect Core §5.3.2), read into the same `TokenClaims` a JWT
/// gives, so that roles, names and the users table come out the same whichever way the token came.
///
/// The claim names are those of a JWT (`iss`, `sub`, `aud`, `exp`, `groups`, …) in both answers;
/// introspection adds `active`, `client_id` and `token_type`.
struct ProviderTokenAnswer: Decodable, Sendable {
    enum Source: String, Sendable {
        case introspection, userinfo
    }

    var active: Bool?
    var clientID: String?
    var tokenType: String?
    var claims: TokenClaims

    enum CodingKeys: String, CodingKey {
        case active
        case clientID = "client_id"
        case tokenType = "token_type"
    }

    init(active: Bool?, clientID: String? = nil, tokenType: String? = nil, claims: TokenClaims) {
        self.active = active
        self.clientID = clientID
        self.tokenType = tokenType
        self.claims = claims
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.active = try c.decodeIfPresent(Bool.self, forKey: .active)
        self.clientID = try c.decodeIfPresent(String.self, forKey: .clientID)
        self.tokenType = try c.decodeIfPresent(String.self, forKey: .tokenType)
        self.claims = try TokenClaims(from: decoder)
    }

    /// The claims, if the answer vouches for an access token meant for `audience` from `issuer`.
    ///
    /// - introspection must say `active: true` and give `sub` and `exp` (an answer without `exp`
    ///   could be cached for ever); userinfo answers only live tokens and gives `sub`;
    /// - `iss`, when present, is `issuer` exactly; `aud` and `client_id`, when present, name
    ///   `audience` (the token was issued to our client, not another application of the provider);
    /// - a `token_type` naming a refresh token is refused, since the dev provider and others
    ///   introspect refresh tokens as active too;
    /// - `exp` and `nbf` get `leeway`, as for a JWT.
    ///
    /// Absent `iss` and `aud` are filled in with `issuer` and `audience`: the answer came from that
    /// provider's own endpoint, asked by our client.
    func accepted(from source: Source, issuer: String, audience: String, leeway: Duration, now: Date) throws(TokenRejection) -> TokenClaims {
        var claims = self.claims
        switch source {
        case .introspection:
            guard self.active == true else { throw TokenRejection("the provider says the token is not active") }
        case .userinfo:
            guard self.active != false else { throw TokenRejection("userinfo says the token is not active") }
        }
        if let type = self.tokenType?.lowercased(), type.contains("refresh") {
            throw TokenRejection("the provider says this is a \(type), not an access token")
        }
        if let iss = claims.issuer, iss != issuer { throw TokenRejection("iss \(iss) is not \(issuer)") }
        if let aud = claims.audience, !aud.contains(audience) { throw TokenRejection("aud does not name this client") }
        if let clientID = self.clientID, clientID != audience { throw TokenRejection("the token was issued to client \(clientID), not this one") }
        guard let subject = claims.subject, !subject.isEmpty else { throw TokenRejection("the provider's answer has no sub") }
        let seconds = now.timeIntervalSince1970
        let slack = Double(leeway.components.seconds)
        if source == .introspection, claims.expires == nil { throw TokenRejection("the introspection answer has no exp") }
        if let expires = claims.expires, seconds >= expires + slack { throw TokenRejection("expired") }
        if let notBefore = claims.notBefore, seconds + slack < notBefore { throw TokenRejection("not valid yet (nbf)") }
        claims.issuer = claims.issuer ?? issuer
        claims.audience = claims.audience ?? [audience]
        return claims
    }
}
