import AsyncHTTPClient
import Configuration
import Foundation
import Hummingbird
import Logging
import Mustache
import OrcastraRuntime
import ServiceLifecycle

/// Builds the gateway from configuration: logging, clients, templates, router.
func buildApplication(reader: ConfigReader, sink: LogSink = .standardOutput) async throws -> some ApplicationProtocol {
    let config = try GatewayConfig(settings: Settings(reader: reader))
    JSONLogHandler.bootstrapOnce(config: config.service, sink: sink)
    return try await buildApplication(config: config, sink: sink)
}

/// Builds the gateway from an already validated configuration; tests call this directly.
func buildApplication(config: GatewayConfig, sink: LogSink) async throws -> some ApplicationProtocol {
    let http = HTTPClientService(connectTimeout: .seconds(3), readTimeout: .seconds(300))
    var services: [any Service] = [http]
    var checks = [HealthCheck.api(http.client, url: config.apiURL)]
    if let redisURL = config.service.redis {
        let redis = RedisClient(url: redisURL)
        services.append(redis)
        checks.append(.redis(redis))
    }
    let assets = try GatewayAssets.bundled()
    let templates = try await MustacheLibrary(directory: assets.templates.path)
    let router = buildRouter(
        config: config, sink: sink, http: http.client, templates: templates, publicFolder: assets.public.path,
        health: HealthMonitor(version: config.service.version, checks: checks)
    )
    return Application(
        router: router,
        configuration: .init(address: .hostname(config.service.httpHost, port: config.service.httpPort), serverName: "orcastra-gateway"),
        services: services,
        logger: Logger(label: "orcastra-gateway")
    )
}

/// The gateway's routes; every dependency is passed in.
func buildRouter(
    config: GatewayConfig, sink: LogSink, http: HTTPClient, templates: MustacheLibrary, publicFolder: String, health: HealthMonitor
) -> Router<AppRequestContext> {
    // Proxied bodies stream through untouched; the API applies its own limit.
    let router = Router<AppRequestContext>.standard(config: config.service, sink: sink, bodyLimitExempt: [APIProxy.prefix])
    router.add(middleware: FileMiddleware(publicFolder, urlBasePath: "/static", cacheControl: GatewayAssets.cacheControl))
    health.addRoutes(to: router, paths: ["/health", "/healthz"])
    PagesController(templates: templates, version: config.service.version).addRoutes(to: router)
    APIProxy(client: http, apiURL: config.apiURL, clientIP: config.service.clientIP).addRoutes(to: router)
    return router
}
