import Logging

/// The settings both services share: where to listen, how to log, Redis, and which
/// proxies may tell us the client's address.
public struct ServiceConfig: Sendable {
    /// `orcastra-api` or `orcastra-gateway`; written into every log line.
    public var serviceName: String
    public var version: String
    public var httpHost: String
    public var httpPort: Int
    public var jsonLogs: Bool
    public var logLevel: Logger.Level
    /// nil when `REDIS_ENABLED=false`.
    public var redis: RedisURL?
    public var clientIP: ClientIPPolicy
    /// Largest request body accepted before answering 413.
    public var maxBodyBytes: Int

    public init(
        serviceName: String, version: String = "dev", httpHost: String = "127.0.0.1", httpPort: Int = 0,
        jsonLogs: Bool = true, logLevel: Logger.Level = .info, redis: RedisURL? = nil,
        clientIP: ClientIPPolicy = ClientIPPolicy(), maxBodyBytes: Int = 10 << 20
    ) {
        self.serviceName = serviceName
        self.version = version
        self.httpHost = httpHost
        self.httpPort = httpPort
        self.jsonLogs = jsonLogs
        self.logLevel = logLevel
        self.redis = redis
        self.clientIP = clientIP
        self.maxBodyBytes = maxBodyBytes
    }

    /// Reads the shared settings; `defaultPort` is 8765 for the API and 4321 for the gateway.
    public init(serviceName: String, defaultPort: Int, settings s: Settings) throws(ConfigError) {
        self.serviceName = serviceName
        self.version = s.string("APP_VERSION") ?? "0.1.0"
        self.httpHost = s.string("HTTP_HOST") ?? "0.0.0.0"
        self.httpPort = try s.int("HTTP_PORT", default: defaultPort, range: 0...65535)
        self.jsonLogs = try s.bool("JSON_LOGS", default: true)
        let level = s.string("LOG_LEVEL")?.lowercased() ?? "info"
        guard let parsed = Logger.Level(rawValue: level == "warn" ? "warning" : level) else {
            throw ConfigError("LOG_LEVEL", "must be one of trace, debug, info, notice, warning, error, critical")
        }
        self.logLevel = parsed
        if try s.bool("REDIS_ENABLED", default: true) {
            self.redis = try RedisURL(parsing: s.string(RedisURL.variable, secret: true) ?? "redis://127.0.0.1:6379/0")
        } else {
            self.redis = nil
        }
        self.clientIP = try ClientIPPolicy(settings: s)
        self.maxBodyBytes = try s.int("MAX_REQUEST_BODY_BYTES", default: 10 << 20, range: 1024...(1 << 30))
    }
}
