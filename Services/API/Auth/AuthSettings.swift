import OrcastraRuntime

/// How the API authenticates callers (Services/README.md, security rules 11–16).
///
/// `AUTH_ENABLED=false` is accepted only together with `ALLOW_INSECURE_NO_AUTH=true`, so that a
/// typo in production cannot open the API; start-up then logs a critical line every time.
struct AuthSettings: Sendable {
    /// nil when authentication is off (development only).
    var token: TokenVerifier.Policy?
    var jwks: JWKSCache.Policy
    /// Opaque access tokens (introspection or userinfo); nil: only JWTs and API keys.
    var opaque: OpaqueTokenSettings?
    /// `TOKEN_CACHE_MAX_ENTRIES`: how many verified bearer tokens `VerifiedTokenCache` keeps; 0: none.
    var tokenCacheEntries: Int
    /// Shared with the gateway, which reports sign-in failures with it (`POST /api/v1/auth/login-failures`).
    var proxySecret: String?

    var enabled: Bool { self.token != nil }

    init(token: TokenVerifier.Policy?, jwks: JWKSCache.Policy = .init(), opaque: OpaqueTokenSettings? = nil, tokenCacheEntries: Int = 10_000,
         proxySecret: String? = nil) {
        self.token = token
        self.jwks = jwks
        self.opaque = opaque
        self.tokenCacheEntries = tokenCacheEntries
        self.proxySecret = proxySecret
    }

    init(settings s: Settings) throws(ConfigError) {
        self.proxySecret = s.string("AUTH_PROXY_SECRET", secret: true)
        self.jwks = JWKSCache.Policy(
            refetchCooldown: .seconds(try s.int("JWKS_REFETCH_COOLDOWN_SECONDS", default: 60, range: 0...86_400)),
            maxAge: .seconds(try s.int("JWKS_MAX_AGE_SECONDS", default: 3600, range: 1...604_800)),
            staleIfError: .seconds(try s.int("JWKS_STALE_SECONDS", default: 86_400, range: 0...2_592_000))
        )
        self.tokenCacheEntries = try s.int("TOKEN_CACHE_MAX_ENTRIES", default: 10_000, range: 0...1_000_000)
        guard try s.bool("AUTH_ENABLED", default: true) else {
            guard try s.bool("ALLOW_INSECURE_NO_AUTH", default: false) else {
                throw ConfigError("AUTH_ENABLED", "is false, which leaves the API open; set ALLOW_INSECURE_NO_AUTH=true as well if this is a development machine")
            }
            self.token = nil
            self.opaque = nil
            return
        }
        let mode = s.string("AUTH_MODE")?.lowercased() ?? "authentik"
        guard mode == "authentik" || mode == "oidc" else {
            throw ConfigError("AUTH_MODE", "is \(mode), but only authentik (OpenID Connect) is supported")
        }
        let issuer = try s.required("AUTHENTIK_ISSUER")
        guard issuer.hasPrefix("http://") || issuer.hasPrefix("https://") else {
            throw ConfigError("AUTHENTIK_ISSUER", "must be an http(s) URL such as http://host:9000/application/o/orcastra/")
        }
        let algorithms = try TokenVerifier.Policy.algorithms(s)
        let clientID = try s.required("AUTHENTIK_CLIENT_ID")
        self.opaque = try OpaqueTokenSettings.read(s, defaultClientID: clientID)
        self.token = TokenVerifier.Policy(
            issuer: issuer,
            audience: clientID,
            algorithms: algorithms,
            leeway: .seconds(try s.int("JWT_LEEWAY_SECONDS", default: 60, range: 0...600))
        )
    }
}
