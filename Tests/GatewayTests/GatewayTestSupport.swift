import Foundation
import Hummingbird
import HummingbirdTesting
import OrcastraRuntime

@testable import OrcastraGateway

/// Builds the real gateway pointed at `apiURL`.
func makeGateway(apiURL: String, sink: LogSink = LogSink(.memory), redis: RedisURL? = nil) async throws -> some ApplicationProtocol {
    var service = ServiceConfig(serviceName: "orcastra-gateway", version: "test", redis: redis)
    service.maxBodyBytes = 1 << 20
    return try await OrcastraGateway.buildApplication(config: GatewayConfig(service: service, apiURL: apiURL), sink: sink)
}

/// Runs a live stand-in API and gives `body` its base URL.
func withUpstream<R: Sendable>(_ body: @Sendable (String) async throws -> R) async throws -> R {
    let upstream = Application(router: TestUpstream.router(), configuration: .init(address: .hostname("127.0.0.1", port: 0)))
    return try await upstream.test(.live) { client in
        try await body("http://127.0.0.1:\(client.port!)")
    }
}
