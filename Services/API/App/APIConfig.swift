import OrcastraRuntime

/// Everything the API reads from its environment, validated before anything starts.
struct APIConfig: Sendable {
    var service: ServiceConfig
    var database: DatabaseURL
    /// `DATABASE_OWNER_URL`: the schema owner, for migrations and grants; nil: `database` does both.
    var databaseOwner: DatabaseURL?
    /// `AUDIT_ANCHOR_INTERVAL_SECONDS`: how often the audit chain head is copied outside the
    /// database; nil when 0 (off).
    var auditAnchorInterval: Duration? = .seconds(300)
    var secrets: SecretsBackend
    var auth: AuthSettings
    /// nil when `RATE_LIMIT_ENABLED=false` (or without Redis, which holds the counters).
    var rateLimit: RateLimitSettings?
    /// How long start-up keeps trying to reach PostgreSQL for the migrations.
    var databaseStartupTimeout: Duration
    /// Timeouts for calls to LXD/Incus servers.
    var clusters = ClusterSettings()
    /// Default and longest lifetime of API keys.
    var apiKeys = APIKeySettings()
    /// `CORS_ORIGINS`; nil: no browser page of another origin may call the API.
    var cors: CORSSettings?
    /// `SECURITY_PROBE_BLOCK_ENABLED`; nil when off (or without Redis, which holds the counts).
    var probeBlock: ProbeBlockSettings?
    /// `NEXTAUTH_URL` is https, so every answer reaches browsers over TLS (HSTS).
    var publicHTTPS = false
    /// `REDIS_ENCRYPTION_*`, validated at start for whatever the API caches in Redis.
    var redisSealer: RedisSealer?
    /// `AUTHENTIK_API_URL` + `AUTHENTIK_API_TOKEN`: the directory the users are synced from; nil: none.
    var userSync: UserSyncSettings?
    /// The usage ledger's scan and clock.
    var usage = UsageSettings()

    init(service: ServiceConfig, database: DatabaseURL, secrets: SecretsBackend, auth: AuthSettings, databaseStartupTimeout: Duration = .seconds(30)) {
        self.service = service
        self.database = database
        self.secrets = secrets
        self.auth = auth
        self.rateLimit = nil
        self.databaseStartupTimeout = databaseStartupTimeout
    }

    init(settings: Settings) throws(ConfigError) {
        self.service = try ServiceConfig(serviceName: "orcastra-api", defaultPort: 8765, settings: settings)
        self.database = try DatabaseURL(parsing: try settings.required(DatabaseURL.variable, secret: true))
        if let raw = settings.string(DatabaseURL.ownerVariable, secret: true) {
            self.databaseOwner = try DatabaseURL(parsing: raw, variable: DatabaseURL.ownerVariable)
        }
        if let owner = self.databaseOwner, owner.user == self.database.user {
            throw ConfigError(DatabaseURL.ownerVariable, "names the same role as DATABASE_URL; the API's role must not own the schema (leave DATABASE_OWNER_URL empty to use one role)")
        }
        let anchorSeconds = try settings.int("AUDIT_ANCHOR_INTERVAL_SECONDS", default: 300, range: 0...86400)
        self.auditAnchorInterval = anchorSeconds == 0 ? nil : .seconds(anchorSeconds)
        self.secrets = try SecretsBackend(settings: settings)
        self.auth = try AuthSettings(settings: settings)
        self.rateLimit = try RateLimitSettings.read(settings)
        self.databaseStartupTimeout = .seconds(try settings.int("DATABASE_STARTUP_TIMEOUT_SECONDS", default: 30, range: 0...3600))
        self.clusters = try ClusterSettings(settings: settings)
        self.apiKeys = try APIKeySettings(settings: settings)
        self.cors = try CORSSettings.read(settings)
        self.probeBlock = try ProbeBlockSettings.read(settings)
        self.publicHTTPS = try settings.httpURL("NEXTAUTH_URL", default: "http://localhost:4321").lowercased().hasPrefix("https://")
        self.redisSealer = try RedisSealer.read(settings)
        self.userSync = try UserSyncSettings.read(settings)
        self.usage = try UsageSettings.read(settings)
    }

    /// Plain-http URLs to the identity provider or Vault outside the private network.
    var transportWarnings: [String] {
        var vault: String?
        if case .vault(let address, _, _) = self.secrets { vault = address }
        return InsecureTransport.warnings(["AUTHENTIK_ISSUER": self.auth.token?.issuer, "VAULT_ADDR": vault, "AUTHENTIK_API_URL": self.userSync?.apiURL])
    }
}
