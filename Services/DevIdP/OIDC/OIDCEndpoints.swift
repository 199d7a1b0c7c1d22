/// Authentik's URL layout for one OAuth2 provider: shared endpoints directly under
/// `/application/o/`, per-application ones (discovery, JWKS, end-session) under the slug.
/// Every published URL ends with `/`, as Authentik's do.
struct OIDCEndpoints: Sendable {
    let publicURL: String
    let slug: String

    var issuer: String { "\(self.publicURL)/application/o/\(self.slug)/" }
    var authorization: String { self.publicURL + Self.authorizePath + "/" }
    var token: String { self.publicURL + Self.tokenPath + "/" }
    var userinfo: String { self.publicURL + Self.userinfoPath + "/" }
    var introspection: String { self.publicURL + Self.introspectPath + "/" }
    var revocation: String { self.publicURL + Self.revokePath + "/" }
    var endSession: String { self.publicURL + self.endSessionPath + "/" }
    var jwks: String { self.publicURL + self.jwksPath + "/" }

    // Router paths; Hummingbird matches them with or without the trailing slash.
    static let authorizePath = "/application/o/authorize"
    static let tokenPath = "/application/o/token"
    static let userinfoPath = "/application/o/userinfo"
    static let introspectPath = "/application/o/introspect"
    static let revokePath = "/application/o/revoke"
    var discoveryPath: String { "/application/o/\(self.slug)/.well-known/openid-configuration" }
    var jwksPath: String { "/application/o/\(self.slug)/jwks" }
    var endSessionPath: String { "/application/o/\(self.slug)/end-session" }
}
