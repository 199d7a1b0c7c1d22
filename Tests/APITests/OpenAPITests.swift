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
    /// `GET /api/v1/things/:id` → `GET /api/v1/things/{id}`.
    static func openAPIPath(_ routerPath: String) -> String {
        "/" + routerPath.split(separator: "/").map { $0.hasPrefix(":") ? "{\($0.dropFirst())}" : String($0) }.joined(separator: "/")
    }

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
        let db = DatabaseURL(host: "unused", user: "u", password: nil, database: "d")
        let config = APIConfig(service: ServiceConfig(serviceName: "orcastra-api"), database: db, secrets: .embedded(masterKey: testMasterKey), auth: .noIssuer)
        let postgres = PostgresClient(configuration: db.clientConfiguration())
        let routes = try APIRoutes(config: config, postgres: postgres, http: HTTPClient.shared, redis: nil, sink: LogSink(.memory), logger: Logger(label: "test"))
        let router = buildRouter(config: config, sink: LogSink(.memory), health: HealthMonitor(version: "t", checks: []), routes: routes)
        let routed = Set(router.routes.map { "\($0.method) \(Self.openAPIPath($0.path.description))" })
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
            }
        }
    }
}
