import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import OrcastraModels
import OrcastraRuntime
import OrcastraTestSupport
import Testing

@testable import OrcastraGateway

/// Security rules 10 and 18 (Services/README.md) behind a real nginx: a client's own
/// `CF-Connecting-IP`, `True-Client-IP`, `X-Real-IP` and `X-Forwarded-For` must not become the
/// address the gateway records, logs or passes on to the API.
@Suite("Client address behind nginx (security rules 10 and 18)")
struct ForwardedClientTests {
    @Test("18: forged CF-Connecting-IP and X-Forwarded-For sent through nginx do not become the recorded address")
    func forgedHeadersThroughNginx() async throws {
        try await withUpstream { upstream in
            let sink = LogSink(.memory)
            var config = try gatewayConfig(apiURL: upstream)
            // nginx reaches the gateway from 127.0.0.2; test clients connect from 127.0.0.1.
            config.service.clientIP = ClientIPPolicy(trustedProxies: [CIDR("127.0.0.2")!])
            let gateway = try await OrcastraGateway.buildApplication(config: config, sink: sink)
            try await gateway.test(.live) { client in
                let nginx = try await TestNginx(upstreamPort: try #require(client.port))
                defer { nginx.stop() }
                let planted = try await TestSessions.signIn()
                let browser = TestBrowser()
                let page = try await browser.request(.POST, nginx.url + "/api/v1/digest", json: "{}", headers: [
                    "Cookie": planted.cookie, "X-Request-ID": "forged-client-ip-test",
                    "CF-Connecting-IP": "6.6.6.1", "True-Client-IP": "6.6.6.2", "X-Real-IP": "6.6.6.3",
                    "X-Forwarded-For": "6.6.6.4",
                ])
                #expect(page.status == 200)
                // What the API is told.
                #expect(try JSONValue.parse(page.body)["forwarded_for"]?.string == "127.0.0.1")
                // What the gateway's access line records.
                let line = try #require(sink.lines.first { $0.contains("\"log_type\":\"access\"") && $0.contains("forged-client-ip-test") })
                let clientInfo = try #require(try JSONValue.parse(line)["client"])
                #expect(clientInfo["ip"]?.string == "127.0.0.1")
                #expect(clientInfo["proxy_ip"]?.string == "127.0.0.2")
                #expect(!line.contains("6.6.6."))
            }
        }
    }
}
