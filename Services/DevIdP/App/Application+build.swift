import Configuration
import Hummingbird
import Logging
import OrcastraRuntime

/// Builds the provider from configuration: logging, signing key, router.
func buildApplication(reader: ConfigReader, sink: LogSink = .standardOutput) async throws -> some ApplicationProtocol {
    let config = try DevIdPConfig(settings: Settings(reader: reader))
    JSONLogHandler.bootstrapOnce(config: config.service, sink: sink)
    return try buildApplication(config: config, sink: sink)
}

/// Builds the provider from an already validated configuration; tests call this directly.
///
/// The signing key comes from `config.keyFile` or is generated; pass `keys` to share one
/// (a test that wants to know the key), `clock` to move time by hand.
func buildApplication(
    config: DevIdPConfig, sink: LogSink, keys: KeyRing? = nil, clock: DevIdPClock = .system
) throws -> some ApplicationProtocol {
    let logger = Logger(label: "orcastra-devidp")
    let keys = try keys ?? KeyRing(keyFile: config.keyFile)
    let router = buildRouter(config: config, sink: sink, keys: keys, clock: clock)
    var app = Application(
        router: router,
        configuration: .init(address: .hostname(config.service.httpHost, port: config.service.httpPort), serverName: "orcastra-devidp"),
        logger: logger
    )
    let issuer = config.issuer
    let kid = keys.key.kid
    let users = config.users.count
    let controls = config.testControls
    let style = config.tokenStyle
    app.beforeServerStarts {
        logger.notice("development identity provider ready", metadata: [
            "issuer": "\(issuer)", "kid": "\(kid)", "users": "\(users)", "test_controls": "\(controls)",
            "opaque_access_tokens": "\(style.opaqueAccessTokens)", "omit_kid": "\(style.omitKid)",
        ])
    }
    return app
}

/// The provider's routes; every dependency is passed in.
func buildRouter(
    config: DevIdPConfig, sink: LogSink, keys: KeyRing, grants: GrantStore = GrantStore(),
    faults: JWKSFaults = JWKSFaults(), counters: EndpointCounters = EndpointCounters(), clock: DevIdPClock = .system
) -> Router<AppRequestContext> {
    let router = Router<AppRequestContext>.standard(config: config.service, sink: sink)
    let endpoints = OIDCEndpoints(publicURL: config.publicURL, slug: config.slug)
    let directory = UserDirectory(seed: config.users)
    let clients = ClientAuthenticator(client: config.client)
    let verifier = TokenVerifier(endpoints: endpoints, client: config.client, keys: keys, grants: grants, clock: clock)
    let style = TokenStyle(config.tokenStyle)
    let issuer = TokenIssuer(
        endpoints: endpoints, client: config.client, keys: keys, grants: grants, clock: clock,
        accessTokenTTL: config.accessTokenTTL, refreshTokenTTL: config.refreshTokenTTL, style: style
    )
    let apiToken = APITokenCheck(token: config.apiToken)

    HealthMonitor(version: config.service.version, checks: []).addRoutes(to: router, paths: ["/health"])
    DiscoveryController(endpoints: endpoints).addRoutes(to: router)
    JWKSController(endpoints: endpoints, keys: keys, faults: faults).addRoutes(to: router)
    AuthorizeController(client: config.client, directory: directory, grants: grants, clock: clock, codeTTL: config.codeTTL)
        .addRoutes(to: router)
    TokenController(clients: clients, directory: directory, grants: grants, issuer: issuer, clock: clock).addRoutes(to: router)
    UserInfoController(verifier: verifier, counters: counters).addRoutes(to: router)
    EndSessionController(endpoints: endpoints, client: config.client, verifier: verifier).addRoutes(to: router)
    RevocationController(clients: clients, grants: grants).addRoutes(to: router)
    IntrospectionController(clients: clients, grants: grants, verifier: verifier, directory: directory, clock: clock, counters: counters)
        .addRoutes(to: router)
    UsersController(directory: directory, check: apiToken, avatar: config.publicURL + "/static/dist/assets/images/user_default.png")
        .addRoutes(to: router)
    GroupsController(directory: directory, check: apiToken).addRoutes(to: router)
    if config.testControls {
        TestControlsController(keys: keys, faults: faults, counters: counters, style: style).addRoutes(to: router)
    }
    return router
}
