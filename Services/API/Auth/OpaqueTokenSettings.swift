import OrcastraRuntime

/// How the API checks access tokens that are not JWTs (README.md, Configuration).
///
/// Some providers hand out opaque access tokens, random strings only they can read. The API
/// then asks the provider: by token introspection (RFC 7662), authenticated as a client, when
/// the discovery document advertises `introspection_endpoint` and
/// `OIDC_INTROSPECTION_CLIENT_SECRET` is set; else, only with `OPAQUE_TOKEN_USERINFO=true`, at
/// the userinfo endpoint. Userinfo is opt-in because it answers for any live token of the
/// provider, whichever application it was issued to, and says nothing about audience; only
/// introspection by our own client can tell a token meant for us. With neither, an opaque token
/// is refused, as before.
struct OpaqueTokenSettings: Sendable, Equatable {
    /// `OIDC_INTROSPECTION_CLIENT_ID`, by default `AUTHENTIK_CLIENT_ID`.
    var clientID: String
    /// `OIDC_INTROSPECTION_CLIENT_SECRET`; nil: no introspection.
    var clientSecret: String?
    /// `OPAQUE_TOKEN_USERINFO`: without introspection, ask the userinfo endpoint.
    var userinfo: Bool
    /// `OPAQUE_TOKEN_CACHE_SECONDS`: how long a userinfo answer, which has no `exp`, is reused.
    var userinfoCacheTTL: Duration
    /// At most this many different opaque tokens are being checked at the provider at once;
    /// more are refused at once rather than queued, so that a flood of invented tokens costs the
    /// provider a bounded number of calls and the API no growing backlog.
    var maxInFlight: Int
    /// Deadline of one call to the provider.
    var timeout: Duration

    init(clientID: String, clientSecret: String? = nil, userinfo: Bool = false, userinfoCacheTTL: Duration = .seconds(60),
         maxInFlight: Int = 32, timeout: Duration = .seconds(5)) {
        self.clientID = clientID
        self.clientSecret = clientSecret
        self.userinfo = userinfo
        self.userinfoCacheTTL = userinfoCacheTTL
        self.maxInFlight = maxInFlight
        self.timeout = timeout
    }

    /// nil when opaque tokens cannot be checked at all (no secret, no userinfo opt-in).
    static func read(_ s: Settings, defaultClientID: String) throws(ConfigError) -> OpaqueTokenSettings? {
        let settings = OpaqueTokenSettings(
            clientID: s.string("OIDC_INTROSPECTION_CLIENT_ID") ?? defaultClientID,
            clientSecret: s.string("OIDC_INTROSPECTION_CLIENT_SECRET", secret: true),
            userinfo: try s.bool("OPAQUE_TOKEN_USERINFO", default: false),
            userinfoCacheTTL: .seconds(try s.int("OPAQUE_TOKEN_CACHE_SECONDS", default: 60, range: 0...3600))
        )
        return settings.clientSecret == nil && !settings.userinfo ? nil : settings
    }
}
