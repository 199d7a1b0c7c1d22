import OrcastraRuntime

/// Everything the API reads from its environment, validated before anything starts.
struct APIConfig: Sendable {
    var service: ServiceConfig
    var database: DatabaseURL
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
        self.secrets = try SecretsBackend(settings: settings)
        self.auth = try AuthSettings(settings: settings)
        self.rateLimit = try RateLimitSettings.read(settings)
        self.databaseStartupTimeout = .seconds(try settings.int("DATABASE_STARTUP_TIMEOUT_SECONDS", default: 30, range: 0...3600))
        self.clusters = try ClusterSettings(settings: settings)
        self.apiKeys = try APIKeySettings(settings: settings)
    }
}
