import Foundation
import HTTPTypes
import OrcastraTestSupport
import PostgresNIO
import Testing

@testable import OrcastraAPI

/// The server certificate pinned at registration is the only one accepted afterwards.
@Suite("Cluster certificate pin (real LXD)")
struct ClusterPinTests {
    @Test("a cluster whose server presents another certificate after registration is refused: 502 cluster_tls_failed, status reachable false")
    func changedCertificateIsRefused() async throws {
        try await ClusterFixture.run { f in
            let admin = try f.admin
            let id = try await f.register("a", name: "pinned", as: admin)
            let original = try #require(try await f.call(.get, "/api/v1/clusters/\(id)", as: admin).1["endpoint"]?.string)
            #expect(try await f.call(.get, "/api/v1/clusters/\(id)/instances", as: admin).0 == .ok)

            // The stored endpoint now leads to daemon b, whose certificate is not the pinned one:
            // to the API this is the server at that address presenting a new certificate.
            let other = "https://\(try await LXDTestBed.address("b"))"
            try await Self.setEndpoint(id, other, f)
            let (listed, refusal) = try await f.call(.get, "/api/v1/clusters/\(id)/instances", as: admin)
            #expect(listed == .badGateway, "\(refusal)")
            #expect(refusal["error"]?["code"]?.string == "cluster_tls_failed", "\(refusal)")
            let (statusCode, status) = try await f.call(.get, "/api/v1/clusters/\(id)/status", as: admin)
            #expect(statusCode == .ok)
            #expect(status["reachable"]?.bool == false, "\(status)")

            try await Self.setEndpoint(id, original, f)
            #expect(try await f.call(.get, "/api/v1/clusters/\(id)/status", as: admin).1["reachable"]?.bool == true)
            try await f.remove(id, as: admin)
        }
    }

    static func setEndpoint(_ id: String, _ endpoint: String, _ f: ClusterFixture) async throws {
        _ = try await f.h.sql { client in
            try await client.query("UPDATE clusters SET endpoint = \(endpoint) WHERE id = \(UUID(uuidString: id)!)", logger: Logger(label: "test"))
        }
    }
}
