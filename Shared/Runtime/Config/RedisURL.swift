/// `REDIS_URL` in the form `redis://[[user]:password@]host[:port][/db]`.
public struct RedisURL: Sendable, Equatable {
    public var host: String
    public var port: Int
    public var password: String?
    public var database: Int

    public static let variable = "REDIS_URL"

    public init(host: String, port: Int = 6379, password: String? = nil, database: Int = 0) {
        self.host = host
        self.port = port
        self.password = password
        self.database = database
    }

    /// Parses the URL, or throws an error naming `REDIS_URL` and what was wrong.
    public init(parsing raw: String) throws(ConfigError) {
        let v = Self.variable
        guard let url = URLParts(raw) else { throw ConfigError(v, "must look like redis://[:password@]host:6379/0") }
        guard url.scheme == "redis" else {
            throw ConfigError(v, "has scheme '\(url.scheme)'; expected redis:// (TLS rediss:// is not supported)")
        }
        guard !url.host.isEmpty else { throw ConfigError(v, "has no host") }
        var database = 0
        let path = url.path.drop(while: { $0 == "/" })
        if !path.isEmpty {
            guard let db = Int(path), (0...15).contains(db) else {
                throw ConfigError(v, "has database '\(path)'; expected a number from 0 to 15")
            }
            database = db
        }
        let password = url.password.flatMap { $0.isEmpty ? nil : $0 }
        self.init(host: url.host, port: url.port ?? 6379, password: password, database: database)
    }
}
