import OrcastraRuntime
import OrcastraTestSupport
import Testing

@testable import OrcastraGateway

/// Gateway settings that are not about sign-in.
@Suite("Gateway configuration")
struct GatewayConfigTests {
    static let base = ["AUTHENTIK_ISSUER": "http://idp/application/o/o/", "AUTHENTIK_CLIENT_ID": "c", "AUTHENTIK_CLIENT_SECRET": "s",
                       "NEXTAUTH_SECRET": String(repeating: "x", count: 32)]

    @Test("API_CONNECTIONS: 64 kept-alive connections to the API unless set; 0 or junk stops start-up naming it")
    func apiConnections() throws {
        #expect(try GatewayConfig(settings: .testing(Self.base)).apiConnections == 64)
        #expect(try GatewayConfig(settings: .testing(Self.base.merging(["API_CONNECTIONS": "8"]) { $1 })).apiConnections == 8)
        for bad in ["0", "many", "-1"] {
            let error = #expect(throws: ConfigError.self) {
                try GatewayConfig(settings: .testing(Self.base.merging(["API_CONNECTIONS": bad]) { $1 }))
            }
            #expect(error?.variable == "API_CONNECTIONS")
        }
    }
}
