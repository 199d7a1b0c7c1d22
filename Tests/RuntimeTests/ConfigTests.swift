import OrcastraRuntime
import OrcastraTestSupport
import Testing

@Suite("Configuration parsing")
struct ConfigTests {
    @Test("DATABASE_URL in postgresql:// form")
    func databaseURLPlain() throws {
        let url = try DatabaseURL(parsing: "postgresql://orc:s3cret@db.local:5433/orcastra")
        #expect(url == DatabaseURL(host: "db.local", port: 5433, user: "orc", password: "s3cret", database: "orcastra"))
    }

    @Test("DATABASE_URL in the SQLAlchemy postgresql+asyncpg:// form of the existing .env")
    func databaseURLAsyncpg() throws {
        let url = try DatabaseURL(parsing: "postgresql+asyncpg://orcastra:p%40ss%3Aword@postgres:5432/orcastra")
        #expect(url.host == "postgres")
        #expect(url.port == 5432)
        #expect(url.user == "orcastra")
        #expect(url.password == "p@ss:word")
        #expect(url.database == "orcastra")
    }

    @Test("DATABASE_URL defaults the port and reads sslmode")
    func databaseURLDefaults() throws {
        let url = try DatabaseURL(parsing: "postgres://u@h/d?sslmode=require")
        #expect(url.port == 5432)
        #expect(url.password == nil)
        #expect(url.tls == .require)
    }

    @Test("every malformed DATABASE_URL names the variable and the problem", arguments: [
        ("not a url", "must look like postgresql://user:password@host:5432/database"),
        ("mysql://u:p@h/d", "has scheme 'mysql'; expected postgresql:// or postgresql+asyncpg://"),
        ("postgresql://u:p@/d", "has no host"),
        ("postgresql://h:5432/d", "has no user name"),
        ("postgresql://u:p@h:5432", "has no database name after the host"),
        ("postgresql://u:p@h:99999/d", "must look like postgresql://user:password@host:5432/database"),
        ("postgresql://u:p@h/d?sslmode=sometimes", "has an unknown sslmode 'sometimes'"),
    ])
    func databaseURLErrors(raw: String, problem: String) {
        #expect(throws: ConfigError("DATABASE_URL", problem)) { try DatabaseURL(parsing: raw) }
    }

    @Test("an error never repeats the password")
    func errorsHideSecrets() {
        do {
            _ = try DatabaseURL(parsing: "mysql://u:hunter2@h/d")
            Issue.record("expected an error")
        } catch {
            #expect(error.description.hasPrefix("configuration error: DATABASE_URL "))
            #expect(!error.description.contains("hunter2"))
        }
    }

    @Test("REDIS_URL forms")
    func redisURL() throws {
        #expect(try RedisURL(parsing: "redis://localhost") == RedisURL(host: "localhost", port: 6379, password: nil, database: 0))
        #expect(try RedisURL(parsing: "redis://:pw@10.0.0.5:6380/3") == RedisURL(host: "10.0.0.5", port: 6380, password: "pw", database: 3))
        #expect(try RedisURL(parsing: "redis://default:pw@redis:6379/0").password == "pw")
    }

    @Test("every malformed REDIS_URL names the variable and the problem", arguments: [
        ("localhost:6379", "must look like redis://[:password@]host:6379/0"),
        ("rediss://h:6379", "has scheme 'rediss'; expected redis:// (TLS rediss:// is not supported)"),
        ("redis://:pw@:6379/0", "has no host"),
        ("redis://h:6379/x", "has database 'x'; expected a number from 0 to 15"),
        ("redis://h:6379/16", "has database '16'; expected a number from 0 to 15"),
        ("redis://h:port/0", "must look like redis://[:password@]host:6379/0"),
    ])
    func redisURLErrors(raw: String, problem: String) {
        #expect(throws: ConfigError("REDIS_URL", problem)) { try RedisURL(parsing: raw) }
    }

    @Test("service settings: defaults")
    func serviceDefaults() throws {
        let config = try ServiceConfig(serviceName: "orcastra-api", defaultPort: 8765, settings: .testing([:]))
        #expect(config.httpHost == "0.0.0.0")
        #expect(config.httpPort == 8765)
        #expect(config.jsonLogs)
        #expect(config.logLevel == .info)
        #expect(config.redis == RedisURL(host: "127.0.0.1"))
        #expect(config.clientIP.trustedProxies.isEmpty)
    }

    @Test("service settings: values from the environment")
    func serviceValues() throws {
        let config = try ServiceConfig(serviceName: "orcastra-gateway", defaultPort: 4321, settings: .testing([
            "HTTP_HOST": "127.0.0.1", "HTTP_PORT": "9999", "JSON_LOGS": "false", "LOG_LEVEL": "WARN",
            "REDIS_ENABLED": "no", "TRUSTED_PROXY_CIDRS": "10.0.0.0/8, ::1", "APP_VERSION": "1.2.3",
        ]))
        #expect(config.httpHost == "127.0.0.1")
        #expect(config.httpPort == 9999)
        #expect(!config.jsonLogs)
        #expect(config.logLevel == .warning)
        #expect(config.redis == nil)
        #expect(config.clientIP.trustedProxies.map(\.description) == ["10.0.0.0/8", "::1/128"])
        #expect(config.version == "1.2.3")
    }

    @Test("every malformed service setting names the variable", arguments: [
        (["HTTP_PORT": "eighty"], ConfigError("HTTP_PORT", "must be a whole number")),
        (["HTTP_PORT": "70000"], ConfigError("HTTP_PORT", "must be between 0 and 65535")),
        (["JSON_LOGS": "maybe"], ConfigError("JSON_LOGS", "must be true or false")),
        (["LOG_LEVEL": "loud"], ConfigError("LOG_LEVEL", "must be one of trace, debug, info, notice, warning, error, critical")),
        (["REDIS_ENABLED": "2"], ConfigError("REDIS_ENABLED", "must be true or false")),
        (["REDIS_URL": "http://x"], ConfigError("REDIS_URL", "has scheme 'http'; expected redis:// (TLS rediss:// is not supported)")),
        (["TRUSTED_PROXY_CIDRS": "10.0.0.0/33"], ConfigError("TRUSTED_PROXY_CIDRS", "has '10.0.0.0/33', which is not an address or CIDR range")),
        (["ALLOW_PRIVATE_FORWARDED_IPS": "perhaps"], ConfigError("ALLOW_PRIVATE_FORWARDED_IPS", "must be true or false")),
        (["TRUSTED_CLIENT_IP_HEADERS": "x-forwarded-for,cf connecting ip"],
         ConfigError("TRUSTED_CLIENT_IP_HEADERS", "has 'cf connecting ip', which is not a header name (letters, digits and '-' only)")),
        (["MAX_REQUEST_BODY_BYTES": "10"], ConfigError("MAX_REQUEST_BODY_BYTES", "must be between 1024 and 1073741824")),
    ])
    func serviceErrors(values: [String: String], expected: ConfigError) {
        #expect(throws: expected) { try ServiceConfig(serviceName: "s", defaultPort: 1, settings: .testing(values)) }
    }

    @Test("required values and URLs")
    func requiredAndURL() throws {
        let s = Settings.testing(["INTERNAL_BACKEND_URL": "ftp://x", "BLANK": "  "])
        #expect(throws: ConfigError("BLANK", "is required but not set")) { try s.required("BLANK") }
        #expect(throws: ConfigError("INTERNAL_BACKEND_URL", "must be an http:// or https:// URL")) {
            try s.httpURL("INTERNAL_BACKEND_URL", default: "http://127.0.0.1:8765")
        }
        #expect(try Settings.testing([:]).httpURL("X", default: "http://api:8765/") == "http://api:8765")
    }

}
