import AsyncHTTPClient
import NIOCore
import ServiceLifecycle

/// The one `HTTPClient` of a service, with explicit timeouts and redirects off, owned as a
/// `Service` so that shutdown closes its connections.
///
/// Redirects are never followed: a proxy must hand a 3xx to the browser unchanged, and a
/// client talking to an identity provider or a cluster must not be led elsewhere.
public final class HTTPClientService: Service, Sendable {
    public let client: HTTPClient

    public init(connectTimeout: TimeAmount = .seconds(5), readTimeout: TimeAmount = .seconds(60)) {
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        configuration.timeout = .init(connect: connectTimeout, read: readTimeout)
        configuration.decompression = .disabled
        // No tracer is bootstrapped; without this each request would still open a no-op span.
        configuration.tracing.tracer = nil
        self.client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    public func run() async throws {
        try? await gracefulShutdown()
        try await self.client.shutdown()
    }
}
