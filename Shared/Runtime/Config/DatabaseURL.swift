/// `DATABASE_URL` as operators already write it: `postgresql://`, `postgres://`, or the
/// SQLAlchemy form `postgresql+asyncpg://` of the existing VM 4 `.env`.
public struct DatabaseURL: Sendable, Equatable {
    public var host: String
    public var port: Int
    public var user: String
    public var password: String?
    public var database: String
    /// `sslmode` from the query string: `disable` (default), `prefer` or `require`.
    public var tls: TLSMode

    /// How the connection to PostgreSQL is protected.
    public enum TLSMode: String, Sendable { case disable, prefer, require }

    public static let variable = "DATABASE_URL"

    public init(host: String, port: Int = 5432, user: String, password: String?, database: String, tls: TLSMode = .disable) {
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.database = database
        self.tls = tls
    }

    /// The schema owner's URL, for migrations, when the API runs under a role of its own.
    public static let ownerVariable = "DATABASE_OWNER_URL"

    /// Parses the URL, or throws an error naming `variable` and what was wrong.
    public init(parsing raw: String, variable v: String = Self.variable) throws(ConfigError) {
        guard let url = URLParts(raw) else {
            throw ConfigError(v, "must look like postgresql://user:password@host:5432/database")
        }
        guard ["postgresql", "postgres", "postgresql+asyncpg", "postgresql+psycopg", "postgresql+psycopg2"].contains(url.scheme) else {
            throw ConfigError(v, "has scheme '\(url.scheme)'; expected postgresql:// or postgresql+asyncpg://")
        }
        guard !url.host.isEmpty else { throw ConfigError(v, "has no host") }
        guard let user = url.user else { throw ConfigError(v, "has no user name") }
        let database = String(url.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty, !database.contains("/") else { throw ConfigError(v, "has no database name after the host") }
        let mode = url.query["sslmode"] ?? url.query["ssl"] ?? "disable"
        let tls: TLSMode
        switch mode {
        case "disable", "false", "allow": tls = .disable
        case "prefer": tls = .prefer
        case "require", "verify-ca", "verify-full", "true": tls = .require
        default: throw ConfigError(v, "has an unknown sslmode '\(mode)'")
        }
        self.init(host: url.host, port: url.port ?? 5432, user: user, password: url.password, database: database, tls: tls)
    }
}
