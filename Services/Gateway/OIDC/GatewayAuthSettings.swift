import Crypto
import Foundation
import OrcastraRuntime

/// How the gateway signs people in (README.md, Configuration): the OpenID provider, the client it is
/// registered as, and the secret every cookie and session body is protected with.
struct GatewayAuthSettings: Sendable {
    /// `AUTHENTIK_ISSUER`, with its trailing slash, compared exactly.
    var issuer: String
    var clientID: String
    var clientSecret: String
    /// Keys derived from `NEXTAUTH_SECRET`.
    var keys: GatewayKeys
    /// `AUTH_PROXY_SECRET`: lets the gateway report failed sign-ins to the API's audit trail.
    var proxySecret: String?
    /// `NEXT_PUBLIC_AUTHENTIK_LOGOUT_URL`, when the operator names the end-session URL outright.
    var logoutURL: String?
    /// Refresh this long before the access token expires.
    var refreshSkew: Duration
    var algorithms: Set<String>
    /// `SESSION_MAX_HOURS`: a session ends this long after sign-in, however busy it is.
    var sessionMaxAge: Duration
    /// `SESSION_IDLE_MINUTES`: a session ends after this long without a request.
    var sessionIdle: Duration

    init(issuer: String, clientID: String, clientSecret: String, secret: String, proxySecret: String? = nil,
         logoutURL: String? = nil, refreshSkew: Duration = .seconds(60), algorithms: Set<String> = ["RS256", "ES256"],
         sessionMaxAge: Duration = .seconds(12 * 3600), sessionIdle: Duration = .seconds(60 * 60)) {
        self.issuer = issuer
        self.clientID = clientID
        self.clientSecret = clientSecret
        self.keys = GatewayKeys(secret: secret)
        self.proxySecret = proxySecret
        self.logoutURL = logoutURL
        self.refreshSkew = refreshSkew
        self.algorithms = algorithms
        self.sessionMaxAge = sessionMaxAge
        self.sessionIdle = sessionIdle
    }

    init(settings s: Settings) throws(ConfigError) {
        let issuer = try s.required("AUTHENTIK_ISSUER")
        guard issuer.hasPrefix("http://") || issuer.hasPrefix("https://") else {
            throw ConfigError("AUTHENTIK_ISSUER", "must be an http(s) URL such as http://host:9000/application/o/orcastra/")
        }
        let secret = try s.required("NEXTAUTH_SECRET", secret: true)
        guard secret.utf8.count >= 32 else { throw ConfigError("NEXTAUTH_SECRET", "must be at least 32 characters") }
        self.init(
            issuer: issuer,
            clientID: try s.required("AUTHENTIK_CLIENT_ID"),
            clientSecret: try s.required("AUTHENTIK_CLIENT_SECRET", secret: true),
            secret: secret,
            proxySecret: s.string("AUTH_PROXY_SECRET", secret: true),
            logoutURL: s.string("NEXT_PUBLIC_AUTHENTIK_LOGOUT_URL"),
            refreshSkew: .seconds(try s.int("SESSION_REFRESH_SKEW_SECONDS", default: 60, range: 0...3600)),
            algorithms: try TokenVerifier.Policy.algorithms(s),
            sessionMaxAge: .seconds(3600 * (try s.int("SESSION_MAX_HOURS", default: 12, range: 1...720))),
            sessionIdle: .seconds(60 * (try s.int("SESSION_IDLE_MINUTES", default: 60, range: 1...43_200)))
        )
    }
}

/// Two independent keys from `NEXTAUTH_SECRET` (HKDF-SHA256 with distinct labels), so the key
/// that signs the login-state cookie never also encrypts session bodies.
struct GatewayKeys: Sendable {
    let cookieSigning: SymmetricKey
    let sessionSealing: SymmetricKey

    init(secret: String) {
        let input = SymmetricKey(data: Data(secret.utf8))
        self.cookieSigning = HKDF<SHA256>.deriveKey(inputKeyMaterial: input, info: Data("orcastra-gateway login-state v1".utf8), outputByteCount: 32)
        self.sessionSealing = HKDF<SHA256>.deriveKey(inputKeyMaterial: input, info: Data("orcastra-gateway session v1".utf8), outputByteCount: 32)
    }
}
