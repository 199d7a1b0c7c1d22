import Hummingbird

extension Router where Context == AppRequestContext {
    /// The middleware every Orcastra service runs, outermost first: access log (sees the final
    /// status and bytes), whatever `edge` adds (hardening that must also see error answers and
    /// act before any route: probe blocking, CORS, security headers), error shape, body limit
    /// (not applied under `bodyLimitExempt`). Middleware `edge` adds must answer, never throw.
    public static func standard(config: ServiceConfig, sink: LogSink, bodyLimitExempt: [String] = [],
                                edge: (Router<AppRequestContext>) -> Void = { _ in }) -> Router<AppRequestContext> {
        let router = Router(context: AppRequestContext.self)
        router.add(middleware: AccessLogMiddleware(config: config, sink: sink))
        edge(router)
        router.add(middleware: ErrorMiddleware())
        router.add(middleware: BodyLimitMiddleware(maxBytes: config.maxBodyBytes, exemptPrefixes: bodyLimitExempt))
        return router
    }
}
