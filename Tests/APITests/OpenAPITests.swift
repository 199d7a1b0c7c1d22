import Foundation
import Hummingbird
import HummingbirdTesting
import OrcastraRuntime
import OrcastraTestSupport
import AsyncHTTPClient
import Logging
import PostgresNIO
import Testing

@testable import OrcastraAPI

/// The OpenAPI document and the router must describe the same API.
@Suite("OpenAPI document")
struct OpenAPITests {
    static func documentOperations() throws -> Set<String> {
        let document = try JSONValue.parse(String(decoding: OpenAPIController.document, as: UTF8.self))
        guard case .object(let paths) = document["paths"] ?? .null else { throw MissingService("openapi.json has no paths") }
        var operations: Set<String> = []
        for (path, item) in paths {
            for method in item.keys where ["get", "put", "post", "delete", "patch", "head", "options"].contains(method) {
                operations.insert("\(method.uppercased()) \(path)")
            }
        }
        return operations
    }

    @Test("every route is documented and every documented operation is routed")
    func inStep() throws {
        let routed = try AccessTableTests.built().routed
        let documented = try Self.documentOperations()
        #expect(routed.subtracting(documented).isEmpty, "routes missing from openapi.json: \(routed.subtracting(documented).sorted())")
        #expect(documented.subtracting(routed).isEmpty, "openapi.json names routes that do not exist: \(documented.subtracting(routed).sorted())")
        #expect(routed.count >= 3)
    }

    @Test("the document is served as OpenAPI 3.1 JSON")
    func served() async throws {
        let db = try await TestDatabase.create()
        defer { db.drop() }
        let config = APIConfig(service: ServiceConfig(serviceName: "orcastra-api", redis: try TestEnvironment.redisURL()), database: db.url, secrets: .embedded(masterKey: testMasterKey), auth: .noIssuer)
        try await buildApplication(config: config, sink: LogSink(.memory)).test(.router) { client in
            try await client.execute(uri: "/api/v1/openapi.json", method: .get) { response async throws in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "application/json")
                let doc = try JSONValue.parse(String(buffer: response.body))
                #expect(doc["openapi"]?.string?.hasPrefix("3.1") == true)
                // Each operation names what it needs, as its route declared it.
                guard case .object(let paths) = doc["paths"] ?? .null else { Issue.record("no paths"); return }
                var annotated = 0
                for (path, item) in paths {
                    guard case .object(let operations) = item else { continue }
                    for (method, operation) in operations where ["get", "put", "post", "delete", "patch"].contains(method) {
                        #expect(operation["x-orcastra-needs"]?.string?.isEmpty == false, "\(method.uppercased()) \(path) has no x-orcastra-needs")
                        annotated += 1
                    }
                }
                #expect(annotated > 30)
                #expect(paths["/api/v1/clusters/{id}"]?["delete"]?["x-orcastra-needs"]?.string == "can_delete on cluster")
            }
        }
    }
}
