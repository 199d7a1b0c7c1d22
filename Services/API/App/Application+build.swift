import Configuration
import Hummingbird
import Logging
import OrcastraRuntime
import PostgresNIO
import ServiceLifecycle

/// Builds the API from configuration: logging, clients, migrations, router.
func buildApplication(reader: ConfigReader, sink: LogSink = .standardOutput) async throws -> some ApplicationProtocol {
    let config = try APIConfig(settings: Settings(reader: reader))
    JSONLogHandler.bootstrapOnce(config: config.service, sink: sink)
    return try buildApplication(config: config, sink: sink)
}

/// Builds the API from an already validated configuration; tests call this directly.
func buildApplication(config: APIConfig, sink: LogSink) throws -> some ApplicationProtocol {
    let logger = Logger(label: "orcastra-api")
    let postgres = PostgresClient(configuration: config.database.clientConfiguration(), backgroundLogger: Logger(label: "postgres"))
    let http = HTTPClientService(connectTimeout: .seconds(3), readTimeout: .seconds(30))
    var services: [any Service] = [postgres, http]
    var checks = [HealthCheck.postgres(postgres)]
    if let vault = config.secrets.healthCheck(http: http.client) { checks.append(vault) }
    if let redisURL = config.service.redis {
        let redis = RedisClient(url: redisURL)
        services.append(redis)
        checks.append(.redis(redis))
    }
    let health = HealthMonitor(version: config.service.version, checks: checks)
    let router = buildRouter(config: config, sink: sink, health: health)

    var app = Application(
        router: router,
        configuration: .init(address: .hostname(config.service.httpHost, port: config.service.httpPort), serverName: "orcastra-api"),
        services: services,
        logger: logger
    )
    let migrations = try Migrations.bundled
    let timeout = config.databaseStartupTimeout
    app.beforeServerStarts {
        try await migrations.apply(client: postgres, logger: logger, retryFor: timeout)
    }
    return app
}

/// The API's routes; every dependency is passed in.
func buildRouter(config: APIConfig, sink: LogSink, health: HealthMonitor) -> Router<AppRequestContext> {
    let router = Router<AppRequestContext>.standard(config: config.service, sink: sink)
    health.addRoutes(to: router, paths: ["/health", "/api/v1/health"])
    OpenAPIController().addRoutes(to: router.group("/api/v1"))
    return router
}
