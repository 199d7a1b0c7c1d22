import Hummingbird

extension Router where Context == AppRequestContext {
    /// The middleware every Orcastra service runs, outermost first: access log (sees the final
    /// status and bytes), whatever `edge` adds (hardening that must also see error answers and
    /// act before any route: probe blocking, CORS, security headers), error shape, body limit
    /// (not applied under `bodyLimitExempt`). Middleware `edge` adds must answer, never throw.
    /// With `allowed`, a known path asked with a method it does not take is a 405 (load it once
    /// the routes are added: `AllowedMethods.load(from:)`).
    public static func standard(config: ServiceConfig, sink: LogSink, bodyLimitExempt: [String] = [], allowed: AllowedMethods? = nil,
                                edge: (Router<AppRequestContext>) -> Void = { _ in }) -> Router<AppRequestContext> {
        let router = Router(context: AppRequestContext.self)
        router.add(middleware: AccessLogMiddleware(config: config, sink: sink))
        edge(router)
        router.add(middleware: ErrorMiddleware(allowed: allowed))
        router.add(middleware: BodyLimitMiddleware(maxBytes: config.maxBodyBytes, exemptPrefixes: bodyLimitExempt))
        return router
    }
}
