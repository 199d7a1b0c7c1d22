import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import OrcastraModels
import OrcastraRuntime
import OrcastraTestSupport
import Testing

@testable import OrcastraGateway

/// `SECURITY_PROBE_BLOCK_ENABLED` on the gateway, which faces the internet first.
@Suite("Gateway probe blocking")
struct GatewayProbeTests {
    @Test("probes of /.env, /.git/ and /wp-login.php get 404 without reaching the proxy or files, are logged, and block the address")
    func probes() async throws {
        try await withUpstream { upstream in
            let sink = LogSink(.memory)
            var config = try gatewayConfig(apiURL: upstream)
            config.probeBlock = ProbeBlockSettings(probes: 3, keyPrefix: "orcastra-test:probe:\(UUID().uuidString):")
            try await OrcastraGateway.buildApplication(config: config, sink: sink).test(.router) { client in
                for path in ["/.env", "/static/.git/HEAD", "/api/v1/wp-login.php"] {
                    let status = try await client.execute(uri: path, method: .get) { $0.status }
                    #expect(status == .notFound, "\(path)")
                }
                let blocked = try await client.execute(uri: "/signin", method: .get) { ($0.status, $0.headers[.retryAfter]) }
                #expect(blocked.0 == .forbidden)
                #expect(blocked.1 != nil)
                let security = sink.lines.filter { $0.contains(#""log_type":"security""#) }
                #expect(security.count == 3)
                #expect(security.allSatisfy { $0.contains(#""service":"orcastra-gateway""#) })
            }
        }
        #expect(try GatewayConfig(settings: .testing([
            "AUTHENTIK_ISSUER": unreachableIssuer, "AUTHENTIK_CLIENT_ID": "c", "AUTHENTIK_CLIENT_SECRET": "s",
            "NEXTAUTH_SECRET": testGatewaySecret,
        ])).probeBlock?.probes == 10)
    }
}
