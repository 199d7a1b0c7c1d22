import AsyncHTTPClient
import Configuration
import Foundation
import Hummingbird
import Logging
import Mustache
import OrcastraRuntime
import ServiceLifecycle

/// The `Server` header of every answer.
let gatewayServerName = "orcastra-gateway"

/// Builds the gateway from configuration: logging, clients, templates, router.
func buildApplication(reader: ConfigReader, sink: LogSink = .standardOutput) async throws -> some ApplicationProtocol {
    let config = try GatewayConfig(settings: Settings(reader: reader))
    JSONLogHandler.bootstrapOnce(config: config.service, sink: sink)
    return try await buildApplication(config: config, sink: sink)
}

/// Builds the gateway from an already validated configuration; tests call this directly.
func buildApplication(config: GatewayConfig, sink: LogSink) async throws -> some ApplicationProtocol {
    let http = HTTPClientService(connectTimeout: .seconds(3), readTimeout: .seconds(300))
    guard let endpoint = UpstreamPool.Endpoint(url: config.apiURL) else { throw ConfigError("INTERNAL_BACKEND_URL", "must be an http:// or https:// URL") }
    let upstream = try UpstreamPool(endpoint: endpoint, keepIdle: config.apiConnections)
    var services: [any Service] = [http, upstream]
    var checks = [HealthCheck.api(http.client, url: config.apiURL)]
    let redis = RedisClient(url: config.redis)
    services.append(redis)
    checks.append(.redis(redis))
    // Sessions read from Redis are served from memory until a change is announced.
    let sessions = OpenedSessions()
    services.append(RedisSubscriber(url: config.redis, channel: SessionAnnouncements.channel(config.redis),
                                    onMessage: { sessions.announced($0) }, onState: { sessions.subscription(up: $0) }))
    let warnings = InsecureTransport.warnings(["AUTHENTIK_ISSUER": config.auth.issuer])
    for warning in warnings { Logger(label: "orcastra-gateway").warning("\(warning)") }
    let assets = try GatewayAssets.bundled()
    let templates = try await MustacheLibrary(directory: assets.templates.path)
    let logger = Logger(label: "orcastra-gateway")
    let vault = SessionVault(redis: redis, key: config.auth.keys.sessionSealing, maxAge: config.auth.sessionMaxAge, idle: config.auth.sessionIdle,
                             opened: sessions)
    let probes = config.probeBlock.map { ProbeBlockMiddleware(settings: $0, redis: redis, config: config.service, sink: sink) }
    let router = buildRouter(
        config: config, sink: sink, http: http.client, upstream: upstream, redis: redis, vault: vault, probes: probes, templates: templates,
        publicFolder: assets.public.path,
        health: HealthMonitor(version: config.service.version, checks: checks, warnings: warnings)
    )
    // API calls whose session is already in memory skip the router (`DirectRelay`).
    let relay = RelayRoute(
        upstream: upstream, vault: vault, skew: config.auth.refreshSkew, clientIP: config.service.clientIP, probes: probes,
        publicOrigin: GatewayConfig.origin(of: config.publicURL), serverName: gatewayServerName,
        accessLog: AccessLogMiddleware(config: config.service, sink: sink), logger: logger)
    return Application(
        router: router,
        server: .http1(configuration: .init(additionalChannelHandlers: [DirectRelay(route: relay)])),
        configuration: .init(address: .hostname(config.service.httpHost, port: config.service.httpPort), serverName: gatewayServerName),
        services: services,
        logger: logger
    )
}

/// The gateway's routes; every dependency is passed in.
func buildRouter(
    config: GatewayConfig, sink: LogSink, http: HTTPClient, upstream: UpstreamPool, redis: RedisClient, vault: SessionVault,
    probes: ProbeBlockMiddleware?, templates: MustacheLibrary, publicFolder: String,
    health: HealthMonitor
) -> Router<AppRequestContext> {
    let logger = Logger(label: "orcastra-gateway")
    let pages = PageRenderer(templates: templates, version: config.service.version, formActions: config.formActions)
    let party = RelyingParty(settings: config.auth, http: http, publicURL: config.publicURL)
    let api = APIClient(http: http, apiURL: config.apiURL, proxySecret: config.auth.proxySecret)
    let guardian = SessionGuard(vault: vault, redis: redis, party: party, api: api, clientIP: config.service.clientIP,
                                 skew: config.auth.refreshSkew, logger: logger)
    // Proxied bodies stream through untouched; the API applies its own limit.
    let router = Router<AppRequestContext>.standard(config: config.service, sink: sink, bodyLimitExempt: [APIProxy.prefix]) { edge in
        if let probes { edge.add(middleware: probes) }
    }
    router.add(middleware: HTMLErrorPages(pages: pages))
    router.add(middleware: FileMiddleware(publicFolder, urlBasePath: "/static", cacheControl: GatewayAssets.cacheControl))
    health.addRoutes(to: router, paths: ["/health", "/healthz"])
    PagesController(pages: pages, guardian: guardian).addRoutes(to: router)
    AuthController(party: party, vault: vault, guardian: guardian, api: api, pages: pages, publicURL: config.publicURL,
                   publicOrigin: GatewayConfig.origin(of: config.publicURL), clientIP: config.service.clientIP, logger: logger).addRoutes(to: router)
    APIProxy(upstream: upstream, clientIP: config.service.clientIP, guardian: guardian,
             publicOrigin: GatewayConfig.origin(of: config.publicURL)).addRoutes(to: router)
    return router
}
