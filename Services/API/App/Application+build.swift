import AsyncHTTPClient
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
    var checks = [HealthCheck.postgres(postgres, logger: logger)]
    if let vault = config.secrets.healthCheck(http: http.client) { checks.append(vault) }
    let redis = config.service.redis.map { RedisClient(url: $0) }
    if let redis {
        services.append(redis)
        checks.append(.redis(redis))
    }
    let warnings = config.transportWarnings
    for warning in warnings { logger.warning("\(warning)") }
    let health = HealthMonitor(version: config.service.version, checks: checks, warnings: warnings)
    if !config.auth.enabled {
        logger.critical("AUTH_ENABLED=false: every request is treated as an administrator. Never run this outside a development machine.")
    }
    let routes = try APIRoutes(config: config, postgres: postgres, http: http.client, redis: redis, sink: sink, logger: logger)
    services.append(routes.tracker)
    if let userSync = routes.userSync { services.append(userSync) }
    if routes.usageRecorder.interval != nil { services.append(routes.usageRecorder) }
    if let interval = config.auditAnchorInterval {
        services.append(AuditAnchoring(client: postgres, trail: routes.audit, interval: interval, logger: logger))
    }
    let router = buildRouter(config: config, sink: sink, health: health, routes: routes)

    var app = Application(
        router: router,
        configuration: .init(address: .hostname(config.service.httpHost, port: config.service.httpPort), serverName: "orcastra-api"),
        services: services,
        logger: logger
    )
    let migrations = try Migrations.bundled
    let timeout = config.databaseStartupTimeout
    let roles = DatabaseRoles(app: config.database, owner: config.databaseOwner)
    app.beforeServerStarts {
        try await roles.prepare(migrations: migrations, appClient: postgres, logger: logger, retryFor: timeout)
        for warning in try await DatabaseRoles.warnings(client: postgres, logger: logger) { logger.warning("\(warning)") }
        try await routes.pki.prepare()
        try await routes.tracker.closeAbandoned()
    }
    return app
}

/// What the API's routes need, built once in `buildApplication` from the shared clients.
struct APIRoutes {
    var authenticator: Authenticator
    var apiKeys: APIKeyStore
    var sessions: SessionStore
    var audit: AuditTrail
    var postgres: PostgresClient
    var redis: RedisClient?
    var secrets: SecretsService
    var pki: PKIService
    var clusters: ClusterService
    var instances: InstanceService
    var tracker: OperationTracker
    var organizations: OrganizationStore
    var projects: ProjectService
    var projectMembers: ProjectMemberStore
    var authorizer: Authorizer
    var users: UserStore
    var grants: InstanceGrantStore
    var usage: UsageLedger
    var usageRecorder: UsageRecorder
    var showback: ShowbackLedger
    /// nil without a directory to sync from.
    var userSync: UserSync?
    /// Every route and what it needs, filled as `buildRouter` adds them.
    let accessTable = AccessTable()
    var logger: Logger

    init(config: APIConfig, postgres: PostgresClient, http: HTTPClient, redis: RedisClient?, sink: LogSink, logger: Logger) throws {
        self.secrets = try SecretsService(backend: config.secrets, postgres: postgres, http: http, logger: logger)
        let audit = AuditTrail(service: config.service.serviceName, version: config.service.version, sink: sink,
                               keys: AuditChainKeys(store: self.secrets.store))
        let verifier = config.auth.token.map { policy in
            TokenVerifier(policy: policy, keys: .discovering(issuer: policy.issuer, http: http, policy: config.auth.jwks))
        }
        let users = UserDirectory(client: postgres, audit: audit, logger: logger)
        self.apiKeys = APIKeyStore(client: postgres, audit: audit, logger: logger)
        self.sessions = SessionStore(client: postgres, redis: redis, audit: audit, logger: logger)
        self.authenticator = Authenticator(verifier: verifier.map { BearerVerifier(jwt: $0, settings: config.auth, http: http) },
                                           users: users, apiKeys: self.apiKeys, sessions: self.sessions, logger: logger)
        self.audit = audit
        self.postgres = postgres
        self.redis = redis
        self.pki = try PKIService(backend: config.secrets, postgres: postgres, http: http, logger: logger)
        self.clusters = ClusterService(store: ClusterStore(client: postgres, logger: logger),
                                       connections: ClusterConnections(secrets: self.secrets, settings: config.clusters),
                                       secrets: self.secrets, pki: self.pki, audit: audit, logger: logger)
        self.usage = UsageLedger(client: postgres, logger: logger, now: config.usage.now)
        self.tracker = OperationTracker(client: postgres, audit: audit, logger: logger) { [usage = self.usage] plan, deleted, driver in
            await usage.observe(cluster: plan.cluster, lxdProject: plan.project, instance: plan.instance, deleted: deleted, driver: driver)
        }
        self.organizations = OrganizationStore(client: postgres, audit: audit, logger: logger)
        self.projectMembers = ProjectMemberStore(client: postgres, audit: audit, logger: logger)
        let projectStore = ProjectStore(client: postgres, logger: logger)
        self.projects = ProjectService(store: projectStore, clusters: self.clusters, audit: audit, logger: logger)
        self.authorizer = Authorizer(relations: AccessRelations(client: postgres, logger: logger))
        self.grants = InstanceGrantStore(client: postgres, audit: audit, logger: logger)
        self.instances = InstanceService(clusters: self.clusters, projects: projectStore, grants: self.grants, tracker: self.tracker,
                                         authorizer: self.authorizer, logger: logger)
        self.users = UserStore(client: postgres, logger: logger)
        self.showback = ShowbackLedger(usage: self.usage, rates: RateStore(client: postgres, audit: audit, logger: logger), audit: audit)
        self.usageRecorder = UsageRecorder(ledger: self.usage, clusters: self.clusters, interval: config.usage.rescanInterval, logger: logger)
        self.userSync = config.userSync.map { settings in
            UserSync(directory: AuthentikDirectory(settings: settings, http: http), client: postgres, users: users, audit: audit, logger: logger)
        }
        self.logger = logger
    }

    /// Where routes are added: `open` without authentication, `signedIn` behind it, both
    /// checked by the authorizer and listed in the access table.
    func access(open: RouterGroup<AppRequestContext>, signedIn: RouterGroup<AppRequestContext>, prefix: String) -> AccessRoutes {
        AccessRoutes(open: open, signedIn: signedIn, prefix: prefix, authorizer: self.authorizer, table: self.accessTable)
    }
}

/// The API's routes; every dependency is passed in. Health, the OpenAPI document and the
/// gateway's sign-in failure reports are public; everything else is behind the authenticator.
func buildRouter(config: APIConfig, sink: LogSink, health: HealthMonitor, routes: APIRoutes) -> Router<AppRequestContext> {
    let allowed = AllowedMethods()
    let router = Router<AppRequestContext>.standard(config: config.service, sink: sink, allowed: allowed) { edge in
        // Outside the error shape, so error answers get these headers too; probes are
        // answered before CORS or any route sees them.
        edge.add(middleware: SecurityHeadersMiddleware(clientIP: config.service.clientIP, publicHTTPS: config.publicHTTPS))
        if let probes = config.probeBlock, let redis = routes.redis {
            edge.add(middleware: ProbeBlockMiddleware(settings: probes, redis: redis, config: config.service, sink: sink))
        }
        if let cors = config.cors { edge.add(middleware: CORSMiddleware(settings: cors)) }
    }
    health.addRoutes(to: router, paths: ["/health", "/api/v1/health"])
    for path in ["/health", "/api/v1/health"] { routes.accessTable.add(.init(method: .get, path: path, requirement: .open)) }
    // Rate limits apply before authentication, so a flood of bad credentials is limited too;
    // health stays outside them, since monitors poll it and it must answer during a flood.
    let v1 = router.group("/api/v1")
    if let limits = config.rateLimit, let redis = routes.redis {
        v1.add(middleware: RateLimitMiddleware(settings: limits, redis: redis, clientIP: config.service.clientIP,
                                              proxySecret: config.auth.proxySecret, logger: routes.logger))
    }
    let access = routes.access(open: v1.group(), signedIn: v1.group().add(middleware: routes.authenticator), prefix: "/api/v1")
    OpenAPIController(table: routes.accessTable).addRoutes(to: access)
    LoginFailureController(secret: config.auth.proxySecret, client: routes.postgres, audit: routes.audit, logger: routes.logger)
        .addRoutes(to: access)
    MeController().addRoutes(to: access)
    AccessController(authorizer: routes.authorizer).addRoutes(to: access)
    APIKeyController(store: routes.apiKeys, settings: config.apiKeys, authorizer: routes.authorizer).addRoutes(to: access)
    SessionController(store: routes.sessions, proxySecret: config.auth.proxySecret, clientIP: config.service.clientIP,
                      authorizer: routes.authorizer).addRoutes(to: access)
    UserKeyController(secrets: routes.secrets, audit: routes.audit, postgres: routes.postgres, logger: routes.logger).addRoutes(to: access)
    OrganizationController(store: routes.organizations, authorizer: routes.authorizer).addRoutes(to: access)
    ProjectController(projects: routes.projects, authorizer: routes.authorizer).addRoutes(to: access)
    ProjectMemberController(members: routes.projectMembers, authorizer: routes.authorizer).addRoutes(to: access)
    UserController(store: routes.users, sync: routes.userSync, authorizer: routes.authorizer).addRoutes(to: access)
    ClusterController(clusters: routes.clusters, authorizer: routes.authorizer).addRoutes(to: access)
    InstanceController(instances: routes.instances).addRoutes(to: access)
    SnapshotController(instances: routes.instances).addRoutes(to: access)
    InstanceGrantController(instances: routes.instances, grants: routes.grants, authorizer: routes.authorizer).addRoutes(to: access)
    OperationController(instances: routes.instances).addRoutes(to: access)
    UsageController(ledger: routes.usage, recorder: routes.usageRecorder, authorizer: routes.authorizer).addRoutes(to: access)
    ShowbackController(showback: routes.showback, organizations: routes.organizations).addRoutes(to: access)
    AuditController(client: routes.postgres, keys: routes.audit.keys).addRoutes(to: access)
    SecretsController(secrets: routes.secrets, issuer: { [pki = routes.pki] in await pki.issuer() }).addRoutes(to: access)
    CertificateController(pki: routes.pki, audit: routes.audit, postgres: routes.postgres, logger: routes.logger).addRoutes(to: access)
    allowed.load(from: router)
    return router
}
