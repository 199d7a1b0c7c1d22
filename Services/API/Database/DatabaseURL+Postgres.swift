import Logging
import NIOSSL
import OrcastraRuntime
import PostgresNIO

extension DatabaseURL {
    /// The postgres-nio pool configuration for this URL: short connect timeout so that health
    /// reports a dead database quickly, a bounded pool, and PostgreSQL itself cancelling a
    /// statement (a lock wait included) at the limit the API waits for it
    /// (`PostgresClient.leaseLimit`; maintenance transactions raise it for themselves).
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
        configuration.options.additionalStartupParameters = [("statement_timeout", PostgresClient.statementTimeout(PostgresClient.leaseLimit))]
        return configuration
    }
}

extension HealthCheck {
    /// PostgreSQL answers `SELECT 1` through the pool, bounded like every query.
    static func postgres(_ client: PostgresClient, logger: Logger) -> HealthCheck {
        HealthCheck(name: "postgres") {
            try await client.boundedQuery("SELECT 1", logger: logger)
        }
    }
}
