import AsyncHTTPClient
import Foundation
import Hummingbird
import OrcastraRuntime

/// Where the gateway's templates and static files are: in the build's resource bundle, or in
/// `GATEWAY_RESOURCES` when an image lays them out elsewhere.
struct GatewayAssets {
    var templates: URL
    var `public`: URL

    static func bundled() throws -> GatewayAssets {
        let root: URL
        if let override = ProcessInfo.processInfo.environment["GATEWAY_RESOURCES"] {
            root = URL(fileURLWithPath: override)
        } else if let url = Bundle.module.url(forResource: "Resources", withExtension: nil) {
            root = url
        } else {
            throw ConfigError("GATEWAY_RESOURCES", "is not set and the gateway's resource bundle is missing")
        }
        return GatewayAssets(templates: root.appendingPathComponent("templates"), public: root.appendingPathComponent("public"))
    }

    /// Static files are versioned by the release, so browsers may keep them for a day and
    /// revalidate with the ETag afterwards.
    static let cacheControl = CacheControl([
        (MediaType(type: .text, subType: "css"), [.public, .maxAge(86400)]),
        (MediaType(type: .application, subType: "javascript"), [.public, .maxAge(86400)]),
        (MediaType(type: .text, subType: "javascript"), [.public, .maxAge(86400)]),
        (MediaType(type: .image), [.public, .maxAge(86400)]),
    ])
}

extension HealthCheck {
    /// The API answers at all (its own health covers its dependencies).
    static func api(_ client: HTTPClient, url: String) -> HealthCheck {
        HealthCheck(name: "api") {
            let response = try await client.execute(HTTPClientRequest(url: url + "/health"), timeout: .seconds(2))
            _ = try await response.body.collect(upTo: 1 << 20)
        }
    }
}
