import Foundation
import JWTKit

/// The claims of an Authentik ID or access token that Orcastra reads.
///
/// Everything is optional at decoding so that a missing claim becomes a named rejection in
/// `TokenVerifier` rather than a decoding error; `aud` may be a string (Authentik) or a list
/// (RFC 7519 §4.1.3).
public struct TokenClaims: JWTPayload, Equatable {
    public var issuer: String?
    public var subject: String?
    public var audience: [String]?
    public var expires: Double?
    public var notBefore: Double?
    public var issuedAt: Double?
    public var nonce: String?
    public var name: String?
    public var email: String?
    public var preferredUsername: String?
    public var groups: [String]?
    public var authorizedParty: String?
    public var sessionID: String?
    /// ID tokens only (OpenID Connect Core §3.1.3.6): the access token's hash.
    public var atHash: String?
    /// Authentik access tokens only: a value drawn afresh for each access token.
    public var uid: String?

    public init(issuer: String? = nil, subject: String? = nil, audience: [String]? = nil, expires: Double? = nil, notBefore: Double? = nil,
                issuedAt: Double? = nil, nonce: String? = nil, name: String? = nil, email: String? = nil,
                preferredUsername: String? = nil, groups: [String]? = nil, authorizedParty: String? = nil, sessionID: String? = nil,
                atHash: String? = nil, uid: String? = nil) {
        self.issuer = issuer
        self.subject = subject
        self.audience = audience
        self.expires = expires
        self.notBefore = notBefore
        self.issuedAt = issuedAt
        self.nonce = nonce
        self.name = name
        self.email = email
        self.preferredUsername = preferredUsername
        self.groups = groups
        self.authorizedParty = authorizedParty
        self.sessionID = sessionID
        self.atHash = atHash
        self.uid = uid
    }

    enum CodingKeys: String, CodingKey {
        case issuer = "iss", subject = "sub", audience = "aud", expires = "exp", notBefore = "nbf", issuedAt = "iat"
        case nonce, name, email, groups, uid
        case atHash = "at_hash"
        case preferredUsername = "preferred_username"
        case authorizedParty = "azp"
        case sessionID = "sid"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.issuer = try c.decodeIfPresent(String.self, forKey: .issuer)
        self.subject = try c.decodeIfPresent(String.self, forKey: .subject)
        if let one = try? c.decodeIfPresent(String.self, forKey: .audience) {
            self.audience = [one]
        } else {
            self.audience = try c.decodeIfPresent([String].self, forKey: .audience)
        }
        self.expires = try c.decodeIfPresent(Double.self, forKey: .expires)
        self.notBefore = try c.decodeIfPresent(Double.self, forKey: .notBefore)
        self.issuedAt = try c.decodeIfPresent(Double.self, forKey: .issuedAt)
        self.nonce = try c.decodeIfPresent(String.self, forKey: .nonce)
        self.name = try c.decodeIfPresent(String.self, forKey: .name)
        self.email = try c.decodeIfPresent(String.self, forKey: .email)
        self.preferredUsername = try c.decodeIfPresent(String.self, forKey: .preferredUsername)
        self.groups = try c.decodeIfPresent([String].self, forKey: .groups)
        self.authorizedParty = try c.decodeIfPresent(String.self, forKey: .authorizedParty)
        self.sessionID = try c.decodeIfPresent(String.self, forKey: .sessionID)
        self.atHash = try c.decodeIfPresent(String.self, forKey: .atHash)
        self.uid = try c.decodeIfPresent(String.self, forKey: .uid)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeIfPresent(self.issuer, forKey: .issuer)
        try c.encodeIfPresent(self.subject, forKey: .subject)
        if let audience = self.audience {
            if audience.count == 1 { try c.encode(audience[0], forKey: .audience) } else { try c.encode(audience, forKey: .audience) }
        }
        try c.encodeIfPresent(self.expires, forKey: .expires)
        try c.encodeIfPresent(self.notBefore, forKey: .notBefore)
        try c.encodeIfPresent(self.issuedAt, forKey: .issuedAt)
        try c.encodeIfPresent(self.nonce, forKey: .nonce)
        try c.encodeIfPresent(self.name, forKey: .name)
        try c.encodeIfPresent(self.email, forKey: .email)
        try c.encodeIfPresent(self.preferredUsername, forKey: .preferredUsername)
        try c.encodeIfPresent(self.groups, forKey: .groups)
        try c.encodeIfPresent(self.authorizedParty, forKey: .authorizedParty)
        try c.encodeIfPresent(self.sessionID, forKey: .sessionID)
        try c.encodeIfPresent(self.atHash, forKey: .atHash)
        try c.encodeIfPresent(self.uid, forKey: .uid)
    }

    /// Whether these claims, under a JOSE header `typ`, are an ID token rather than an access
    /// token, as far as the two can be told apart.
    ///
    /// A `typ` of `at+jwt` (RFC 9068) says access token and one naming `id_token` says ID token.
    /// Otherwise the payload decides: Authentik builds its access token from the ID token's
    /// claims and adds `azp` and `uid` (the development provider does the same, `nonce`
    /// included), so a token with both is an access token; without them, a `nonce` or `at_hash`
    /// marks an ID token. A token with none of these markers cannot be told apart and passes.
    public func isIDToken(typ: String?) -> Bool {
        if let typ = typ?.lowercased() {
            let media = typ.hasPrefix("application/") ? String(typ.dropFirst("application/".count)) : typ
            if media == "at+jwt" { return false }
            if media.contains("id_token") || media == "id+jwt" { return true }
        }
        if self.authorizedParty != nil && self.uid != nil { return false }
        return self.nonce != nil || self.atHash != nil
    }

    /// Claim checks happen in `TokenVerifier`, against a clock it is given.
    public func verify(using algorithm: some JWTAlgorithm) async throws {}
}
