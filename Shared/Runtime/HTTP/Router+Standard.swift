import Hummingbird

extension Router where Context == AppRequestContext {
    /// The middleware every Orcastra service runs, outermost first: access log (sees the final
    /// status and bytes), error shape, body limit (not applied under `bodyLimitExempt`).
    public static func standard(config: ServiceConfig, sink: LogSink, bodyLimitExempt: [String] = []) -> Router<AppRequestContext> {
        let router = Router(context: AppRequestContext.self)
        router.add(middleware: AccessLogMiddleware(config: config, sink: sink))
        router.add(middleware: ErrorMiddleware())
        router.add(middleware: BodyLimitMiddleware(maxBytes: config.maxBodyBytes, exemptPrefixes: bodyLimitExempt))
        return router
    }
}
