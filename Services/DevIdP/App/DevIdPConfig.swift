import OrcastraRuntime

/// The one OAuth client the provider knows, as an Authentik OAuth2 provider would register it.
struct OIDCClient: Sendable, Equatable {
    var clientID: String
    var clientSecret: String
    /// Compared exactly, character for character (Authentik's "strict" matching).
    var redirectURIs: [String]
    /// Where end-session may send the browser afterwards; also compared exactly.
    var postLogoutRedirectURIs: [String]

    init(clientID: String, clientSecret: String, redirectURIs: [String], postLogoutRedirectURIs: [String] = []) {
        self.clientID = clientID
        self.clientSecret = clientSecret
        self.redirectURIs = redirectURIs
        self.postLogoutRedirectURIs = postLogoutRedirectURIs
    }

    /// `scheme://host[:port]` of each redirect URI, for the sign-in page's `form-action`.
    var redirectOrigins: [String] {
        var origins: [String] = []
        for uri in self.redirectURIs {
            guard let schemeEnd = uri.range(of: "://") else { continue }
            let rest = uri[schemeEnd.upperBound...]
            let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
            let origin = String(uri[..<schemeEnd.upperBound]) + authority
            if !origins.contains(origin) { origins.append(origin) }
        }
        return origins
    }
}

/// Everything the development identity provider reads from its environment, validated before
/// anything starts; tests build it in code with the memberwise initialiser.
struct DevIdPConfig: Sendable {
    /// Listening address, logging and body limit, shared with the other services.
    var service: ServiceConfig
    /// Base of every URL the provider publishes (issuer, endpoints), without a trailing slash.
    var publicURL: String
    /// The Authentik application slug in `/application/o/<slug>/`.
    var slug: String
    var client: OIDCClient
    var users: [SeedUser]
    /// Bearer token of the Authentik API subset; nil answers every call 403.
    var apiToken: String?
    var accessTokenTTL: Duration
    var refreshTokenTTL: Duration
    var codeTTL: Duration
    /// Mounts `/_test/…` (key rotation, JWKS faults, counters).
    var testControls: Bool
    /// PEM file that keeps the signing key across restarts; nil generates one per start.
    var keyFile: String?
    /// `DEVIDP_OPAQUE_ACCESS_TOKENS` and `DEVIDP_OMIT_KID`: the token shape at start (`TokenStyle`).
    var tokenStyle: TokenStyle.Settings

    static let defaultPort = 9000

    init(
        client: OIDCClient,
        users: [SeedUser],
        service: ServiceConfig = ServiceConfig(serviceName: "orcastra-devidp", httpHost: "127.0.0.1", httpPort: DevIdPConfig.defaultPort),
        publicURL: String? = nil,
        slug: String = "orcastra",
        apiToken: String? = nil,
        accessTokenTTL: Duration = .seconds(3600),
        refreshTokenTTL: Duration = .seconds(30 * 86400),
        codeTTL: Duration = .seconds(60),
        testControls: Bool = false,
        keyFile: String? = nil,
        tokenStyle: TokenStyle.Settings = TokenStyle.Settings()
    ) {
        self.service = service
        self.publicURL = publicURL ?? "http://localhost:\(service.httpPort)"
        self.slug = slug
        self.client = client
        self.users = users
        self.apiToken = apiToken
        self.accessTokenTTL = accessTokenTTL
        self.refreshTokenTTL = refreshTokenTTL
        self.codeTTL = codeTTL
        self.testControls = testControls
        self.keyFile = keyFile
        self.tokenStyle = tokenStyle
    }

    /// `<public>/application/o/<slug>/`, trailing slash included, exactly as Authentik writes it.
    var issuer: String { "\(self.publicURL)/application/o/\(self.slug)/" }

    /// Reads the `DEVIDP_*` variables.
    ///
    /// The listening address comes from `DEVIDP_HOST`/`DEVIDP_PORT` only, never from
    /// `HTTP_HOST`/`HTTP_PORT`: those are in the `.env` that the API and the gateway share,
    /// and the provider must not end up on their port or on all interfaces.
    init(settings: Settings) throws(ConfigError) {
        var service = try ServiceConfig(serviceName: "orcastra-devidp", defaultPort: Self.defaultPort, settings: settings)
        service.httpHost = settings.string("DEVIDP_HOST") ?? "127.0.0.1"
        service.httpPort = try settings.int("DEVIDP_PORT", default: Self.defaultPort, range: 0...65535)
        service.redis = nil
        let publicURL = try settings.httpURL("DEVIDP_PUBLIC_URL", default: "http://localhost:\(service.httpPort)")
        guard !publicURL.contains("?"), !publicURL.contains("#") else {
            throw ConfigError("DEVIDP_PUBLIC_URL", "must not have a query or fragment")
        }
        let slug = settings.string("DEVIDP_SLUG") ?? "orcastra"
        try Self.validate(slug: slug)

        let client = OIDCClient(
            clientID: try settings.required("DEVIDP_CLIENT_ID"),
            clientSecret: try settings.required("DEVIDP_CLIENT_SECRET", secret: true),
            redirectURIs: try Self.uris("DEVIDP_REDIRECT_URIS", settings: settings, required: true),
            postLogoutRedirectURIs: try Self.uris("DEVIDP_POST_LOGOUT_REDIRECT_URIS", settings: settings, required: false)
        )
        let users = try SeedFile.load(path: try settings.required(SeedFile.variable))

        self.init(
            client: client,
            users: users,
            service: service,
            publicURL: publicURL,
            slug: slug,
            apiToken: settings.string("DEVIDP_API_TOKEN", secret: true),
            accessTokenTTL: .seconds(try settings.int("DEVIDP_ACCESS_TOKEN_TTL_SECONDS", default: 3600, range: 1...86400)),
            refreshTokenTTL: .seconds(try settings.int("DEVIDP_REFRESH_TOKEN_TTL_SECONDS", default: 30 * 86400, range: 1...(366 * 86400))),
            codeTTL: .seconds(try settings.int("DEVIDP_CODE_TTL_SECONDS", default: 60, range: 1...600)),
            testControls: try settings.bool("DEVIDP_TEST_CONTROLS", default: false),
            keyFile: settings.string("DEVIDP_KEY_FILE"),
            tokenStyle: TokenStyle.Settings(
                opaqueAccessTokens: try settings.bool("DEVIDP_OPAQUE_ACCESS_TOKENS", default: false),
                omitKid: try settings.bool("DEVIDP_OMIT_KID", default: false)
            )
        )
    }

    /// Authentik slugs are Django slugs; the names of the shared endpoints under
    /// `/application/o/` cannot be slugs, or the routes would collide.
    static func validate(slug: String) throws(ConfigError) {
        let allowed = slug.unicodeScalars.allSatisfy { s in
            s.isASCII && (s.properties.isAlphabetic || ("0"..."9").contains(s) || s == "-" || s == "_")
        }
        guard !slug.isEmpty, allowed else {
            throw ConfigError("DEVIDP_SLUG", "must be letters, digits, '-' and '_' only")
        }
        guard !["authorize", "token", "userinfo", "revoke", "introspect", "device"].contains(slug) else {
            throw ConfigError("DEVIDP_SLUG", "must not be '\(slug)', which is one of the provider's own endpoints")
        }
    }

    /// A comma list of absolute http(s) URIs without fragments (RFC 6749 §3.1.2).
    static func uris(_ name: String, settings: Settings, required: Bool) throws(ConfigError) -> [String] {
        let list = settings.list(name, default: [])
        if required && list.isEmpty { throw ConfigError(name, "is required but not set") }
        for uri in list {
            let lower = uri.lowercased()
            guard lower.hasPrefix("http://") || lower.hasPrefix("https://"), uri.count > 8 else {
                throw ConfigError(name, "has '\(uri)', which is not an http:// or https:// URL")
            }
            guard !uri.contains("#") else { throw ConfigError(name, "has '\(uri)', which has a fragment") }
        }
        return list
    }
}
