import OrcastraRuntime

/// Everything the gateway reads from its environment, validated before anything starts.
struct GatewayConfig: Sendable {
    var service: ServiceConfig
    /// Where the API listens, as seen from the gateway (`INTERNAL_BACKEND_URL`).
    var apiURL: String
    /// The gateway's public URL (`NEXTAUTH_URL`), used for redirects and cookie flags.
    var publicURL: String
    var auth: GatewayAuthSettings
    /// Sessions live in Redis; the gateway cannot sign anyone in without it.
    var redis: RedisURL
    /// `SECURITY_PROBE_BLOCK_ENABLED`; nil when off.
    var probeBlock: ProbeBlockSettings?
    /// `API_CONNECTIONS`: connections to the API kept alive between proxied requests.
    var apiConnections = 64
    /// `REDIS_ENCRYPTION_*`, validated at start (sessions are sealed under `NEXTAUTH_SECRET` regardless).
    var redisSealer: RedisSealer?

    init(service: ServiceConfig, apiURL: String, publicURL: String = "http://localhost:4321", auth: GatewayAuthSettings) throws(ConfigError) {
        guard let redis = service.redis else { throw ConfigError("REDIS_ENABLED", "is false, but the gateway keeps its sessions in Redis") }
        self.service = service
        self.apiURL = apiURL
        self.publicURL = publicURL
        self.auth = auth
        self.redis = redis
    }

    init(settings: Settings) throws(ConfigError) {
        self.service = try ServiceConfig(serviceName: "orcastra-gateway", defaultPort: 4321, settings: settings)
        self.apiURL = try settings.httpURL("INTERNAL_BACKEND_URL", default: "http://127.0.0.1:8765")
        self.apiConnections = try settings.int("API_CONNECTIONS", default: 64, range: 1...4096)
        self.publicURL = try settings.httpURL("NEXTAUTH_URL", default: "http://localhost:4321")
        self.auth = try GatewayAuthSettings(settings: settings)
        self.probeBlock = try ProbeBlockSettings.read(settings)
        self.redisSealer = try RedisSealer.read(settings)
        guard let redis = self.service.redis else { throw ConfigError("REDIS_ENABLED", "is false, but the gateway keeps its sessions in Redis") }
        self.redis = redis
    }

    /// The CSP `form-action` of every page: our own origin, plus the identity provider's
    /// (the issuer's and, when named, the end-session URL's), because browsers check
    /// `form-action` on the redirects a form submission follows, and the sign-out form's answer
    /// redirects to the provider's end-session endpoint.
    var formActions: String {
        var sources = ["'self'"]
        for url in [self.auth.issuer, self.auth.logoutURL].compactMap({ $0 }) {
            let origin = Self.origin(of: url)
            // Operator text goes into a header: nothing that could end the directive.
            guard origin.hasPrefix("http"), !origin.contains(where: { $0 == ";" || $0 == "," || $0.isWhitespace }) else { continue }
            if !sources.contains(origin) { sources.append(origin) }
        }
        return sources.joined(separator: " ")
    }

    /// `scheme://host[:port]` of a URL, as browsers send it in `Origin`.
    static func origin(of url: String) -> String {
        guard let schemeEnd = url.range(of: "://") else { return url }
        let authority = url[schemeEnd.upperBound...].prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        return String(url[..<schemeEnd.upperBound]) + authority
    }
}
