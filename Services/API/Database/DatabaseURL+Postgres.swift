import NIOSSL
import OrcastraRuntime
import PostgresNIO

extension DatabaseURL {
    /// The postgres-nio pool configuration for this URL: short connect timeout so that health
    /// reports a dead database quickly, and a bounded pool.
    func clientConfiguration() -> PostgresClient.Configuration {
        let tls: PostgresClient.Configuration.TLS =
            switch self.tls {
            case .disable: .disable
            case .prefer: .prefer(.makeClientConfiguration())
            case .require: .require(.makeClientConfiguration())
            }
        var configuration = PostgresClient.Configuration(
            host: self.host, port: self.port, username: self.user, password: self.password, database: self.database, tls: tls
        )
        configuration.options.connectTimeout = .seconds(3)
        configuration.options.maximumConnections = 20
        return configuration
    }
}

extension HealthCheck {
    /// PostgreSQL answers `SELECT 1` through the pool.
    static func postgres(_ client: PostgresClient) -> HealthCheck {
        HealthCheck(name: "postgres") {
            let rows = try await client.query("SELECT 1")
            for try await _ in rows {}
        }
    }
}
