import OrcastraRuntime

/// Everything the gateway reads from its environment, validated before anything starts.
struct GatewayConfig: Sendable {
    var service: ServiceConfig
    /// Where the API listens, as seen from the gateway (`INTERNAL_BACKEND_URL`).
    var apiURL: String
    /// The gateway's public URL (`NEXTAUTH_URL`), used for redirects and cookie flags.
    var publicURL: String

    init(service: ServiceConfig, apiURL: String, publicURL: String = "http://localhost:4321") {
        self.service = service
        self.apiURL = apiURL
        self.publicURL = publicURL
    }

    init(settings: Settings) throws(ConfigError) {
        self.service = try ServiceConfig(serviceName: "orcastra-gateway", defaultPort: 4321, settings: settings)
        self.apiURL = try settings.httpURL("INTERNAL_BACKEND_URL", default: "http://127.0.0.1:8765")
        self.publicURL = try settings.httpURL("NEXTAUTH_URL", default: "http://localhost:4321")
    }
}
