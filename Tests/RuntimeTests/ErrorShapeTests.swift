import Foundation
import Hummingbird
import HummingbirdTesting
import OrcastraModels
import OrcastraRuntime
import Testing

/// The middleware stack every service mounts answers every failure in one JSON shape.
@Suite("One error shape")
struct ErrorShapeTests {
    struct Widget: Decodable { var name: String; var size: Int }
    struct Boom: Error { var detail = "password=hunter2 at /srv/internal.swift:12" }
    /// A domain error thrown as it is, from any depth: it says how it is answered.
    struct Sealed: APIErrorConvertible {
        var apiError: APIError { APIError(.serviceUnavailable, code: "vault_sealed", message: "Vault is sealed.") }
    }

    func app() -> some ApplicationProtocol {
        var config = ServiceConfig(serviceName: "orcastra-test")
        config.maxBodyBytes = 2048
        let router = Router<AppRequestContext>.standard(config: config, sink: LogSink(.memory))
        router.post("/widgets") { request, context -> String in
            let widget = try await request.decode(as: Widget.self, context: context)
            return widget.name
        }
        router.get("/boom") { _, _ -> String in throw Boom() }
        router.get("/sealed") { _, _ -> String in throw Sealed() }
        router.get("/teapot") { _, _ -> String in throw APIError(.conflict, code: "widget_exists", message: "A widget with that name exists.") }
        return Application(router: router)
    }

    func errorBody(_ response: TestResponse) throws -> ErrorBody {
        #expect(response.headers[.contentType]?.hasPrefix("application/json") == true)
        return try JSONDecoder().decode(ErrorBody.self, from: Data(buffer: response.body))
    }

    @Test("a domain error that converts to an API error is answered as it says, without a wrapper")
    func convertibleError() async throws {
        try await self.app().test(.router) { client in
            try await client.execute(uri: "/sealed", method: .get) { response async throws in
                #expect(response.status == .serviceUnavailable)
                let body = try self.errorBody(response)
                #expect(body.error.code == "vault_sealed")
                #expect(body.error.message == "Vault is sealed.")
            }
        }
    }

    @Test("unknown route → 404 not_found")
    func notFound() async throws {
        try await self.app().test(.router) { client in
            try await client.execute(uri: "/api/v1/nothing-here", method: .get) { response async throws in
                #expect(response.status == .notFound)
                let body = try self.errorBody(response)
                #expect(body.error.code == "not_found")
                #expect(body.error.message.contains("/api/v1/nothing-here"))
            }
        }
    }

    @Test("malformed JSON → 400 naming the problem", arguments: [
        ("{\"name\": ", "not valid"),
        ("{\"name\": \"a\"}", "size"),
        ("{\"name\": \"a\", \"size\": \"big\"}", "size"),
    ])
    func malformed(body: String, mention: String) async throws {
        try await self.app().test(.router) { client in
            try await client.execute(uri: "/widgets", method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(string: body)) { response async throws in
                #expect(response.status == .badRequest)
                let error = try self.errorBody(response)
                #expect(error.error.code == "bad_request")
                #expect(error.error.message.contains(mention), "\(error.error.message)")
            }
        }
    }

    @Test("body over the limit → 413")
    func tooLarge() async throws {
        try await self.app().test(.router) { client in
            let big = ByteBuffer(string: "{\"name\":\"" + String(repeating: "x", count: 4096) + "\",\"size\":1}")
            try await client.execute(uri: "/widgets", method: .post, body: big) { response async throws in
                #expect(response.status == .contentTooLarge)
                #expect(try self.errorBody(response).error.code == "payload_too_large")
            }
        }
    }

    @Test("unexpected error → 500 without internals")
    func internalError() async throws {
        try await self.app().test(.router) { client in
            try await client.execute(uri: "/boom", method: .get) { response async throws in
                #expect(response.status == .internalServerError)
                let text = String(buffer: response.body)
                #expect(!text.contains("hunter2"))
                #expect(!text.contains("internal.swift"))
                #expect(try self.errorBody(response).error.code == "internal_error")
            }
        }
    }

    @Test("a domain error keeps its status, code and message")
    func domainError() async throws {
        try await self.app().test(.router) { client in
            try await client.execute(uri: "/teapot", method: .get) { response async throws in
                #expect(response.status == .conflict)
                #expect(try self.errorBody(response) == ErrorBody(code: "widget_exists", message: "A widget with that name exists."))
            }
        }
    }
}
