import AsyncHTTPClient
import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import OrcastraModels
import OrcastraRuntime
import OrcastraTestSupport
import Testing

@testable import OrcastraAPI
@testable import OrcastraGateway

/// The gateway's `/api/v1/*` proxy against live upstreams.
@Suite("Gateway API proxy")
struct ProxyTests {
    static func sha256(_ buffer: ByteBuffer) -> String {
        Hex.encode(SHA256.hash(data: Data(buffer: buffer)))
    }

    @Test("a 64 MiB body streams through to the API intact, past the gateway's own 1 MiB limit")
    func largeUpload() async throws {
        // 64 MiB of a repeating 4 KiB pattern: varied enough for the digest to catch a lost or
        // reordered chunk, cheap to build in a debug test binary.
        var buffer = ByteBuffer()
        let block = ByteBuffer(bytes: (0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) })
        for i in 0..<(16 * 1024) {
            buffer.writeImmutableBuffer(block)
            buffer.writeInteger(UInt32(i))
        }
        let payload = buffer
        try await withUpstream { api in
            try await makeGateway(apiURL: api).test(.live) { client in
                // AsyncHTTPClient with a generous timeout: the test client's own is short for
                // 64 MiB through a debug build on a busy machine.
                var request = HTTPClientRequest(url: "http://127.0.0.1:\(client.port!)/api/v1/digest")
                request.method = .POST
                request.body = .bytes(payload)
                request.headers.add(name: "Cookie", value: try await TestSessions.signIn().cookie)
                let response = try await HTTPClient.shared.execute(request, timeout: .seconds(120))
                #expect(response.status == .ok)
                let report = try JSONValue.parse(String(buffer: try await response.body.collect(upTo: 1 << 20)))
                #expect(report["bytes"] == .number(Double(payload.readableBytes)))
                #expect(report["sha256"]?.string == Self.sha256(payload))
            }
        }
    }

    @Test("a 32 MiB response streams back intact with its length")
    func largeDownload() async throws {
        try await withUpstream { api in
            try await makeGateway(apiURL: api).test(.live) { client in
                // AsyncHTTPClient, not the test client, which aggregates and caps bodies.
                var request = HTTPClientRequest(url: "http://127.0.0.1:\(client.port!)/api/v1/download/32")
                request.headers.add(name: "Cookie", value: try await TestSessions.signIn().cookie)
                let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
                #expect(response.status == .ok)
                var bytes = 0
                for try await part in response.body { bytes += part.readableBytes }
                #expect(bytes == 32 << 20)
            }
        }
    }

    @Test("both directions stream: each chunk comes back before the next is sent")
    func duplex() async throws {
        try await withUpstream { api in
            try await makeGateway(apiURL: api).test(.live) { client in
                let (chunks, input) = AsyncStream.makeStream(of: ByteBuffer.self)
                var request = HTTPClientRequest(url: "http://127.0.0.1:\(client.port!)/api/v1/echo")
                request.method = .POST
                request.body = .stream(chunks, length: .unknown)
                request.headers.add(name: "Cookie", value: try await TestSessions.signIn().cookie)
                input.yield(ByteBuffer(string: "chunk-0;"))
                let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
                #expect(response.status == .ok)
                var received = ""
                var sent = 1
                for try await part in response.body {
                    received += String(buffer: part)
                    // Only send the next chunk once the previous one has made the round trip.
                    if received.hasSuffix("chunk-\(sent - 1);") {
                        if sent == 5 { input.finish() } else { input.yield(ByteBuffer(string: "chunk-\(sent);")); sent += 1 }
                    }
                }
                #expect(received == "chunk-0;chunk-1;chunk-2;chunk-3;chunk-4;")
            }
        }
    }

    @Test("identity and hop-by-hop headers from the client are dropped; request id and client address passed on")
    func requestHeaders() async throws {
        try await withUpstream { api in
            try await makeGateway(apiURL: api).test(.live) { client in
                let session = try await TestSessions.signIn()
                let headers: HTTPFields = [
                    .authorization: "Bearer stolen", .cookie: session.cookie, RequestID.header: "trace-77",
                    HTTPField.Name("X-Orcastra-Session")!: UUID().uuidString,
                    HTTPField.Name("X-Forwarded-User")!: "admin", HTTPField.Name("X_Forwarded_User")!: "admin",
                    HTTPField.Name("X-Forwarded-For")!: "6.6.6.6", HTTPField.Name("X-Api-Key")!: "orc_x",
                    HTTPField.Name("X-Custom")!: "kept",
                ]
                try await client.execute(uri: "/api/v1/digest", method: .post, headers: headers, body: ByteBuffer(string: "x")) { response async throws in
                    let report = try JSONValue.parse(String(buffer: response.body))
                    let seen = Set((report["headers"]?.string ?? "").split(separator: ",").map(String.init))
                    for dropped in ["cookie", "x-forwarded-user", "x_forwarded_user", "x-api-key"] {
                        #expect(!seen.contains(dropped), "\(dropped) reached the API")
                    }
                    // The client's Authorization and session header are replaced by the session's own.
                    #expect(report["authorization"] == .string("Bearer " + session.session.accessToken))
                    #expect(report["session"] == .string(session.session.apiSessionID.uuidString.lowercased()))
                    #expect(seen.contains("x-custom"))
                    #expect(report["request_id"] == .string("trace-77"))
                    // The test client connects directly (untrusted), so its own X-Forwarded-For is not believed.
                    #expect(report["forwarded_for"] == .string("127.0.0.1"))
                    #expect(response.headers[RequestID.header] == "trace-77")
                }
            }
        }
    }

    @Test("headers named in Connection are hop-by-hop and dropped both ways")
    func connectionListed() {
        let outbound = ProxyHeaders.outbound(from: [
            .connection: "X-Drop-Me, keep-alive", HTTPField.Name("X-Drop-Me")!: "1", HTTPField.Name("TE")!: "trailers",
            HTTPField.Name("X-Custom")!: "kept", HTTPField.Name("Host")!: "gateway:4321", .contentLength: "3",
        ])
        #expect(outbound.map { $0.name.lowercased() } == ["x-custom"])
        let inbound = ProxyHeaders.inbound(from: ["Connection": "X-Upstream-Hop", "X-Upstream-Hop": "1", "Transfer-Encoding": "chunked", "ETag": "\"v1\""])
        #expect(inbound.map(\.name.canonicalName) == ["etag"])
    }

    @Test("header names compare in lower case with dashes, whatever their spelling", arguments: [
        ("x-api-key", "x-api-key"), ("X_Forwarded_User", "x-forwarded-user"), ("X-ORCASTRA-SESSION", "x-orcastra-session"),
        ("cf_connecting_ip", "cf-connecting-ip"), ("Ünicode_X", "Ünicode-x"), ("", ""),
    ])
    func normalisedNames(name: String, expected: String) {
        #expect(ProxyHeaders.normalised(name) == expected)
        #expect(ProxyHeaders.normalised(name[...]) == expected)
    }

    @Test("redirects reach the client unfollowed; hop-by-hop response headers are dropped")
    func responseHandling() async throws {
        try await withUpstream { api in
            try await makeGateway(apiURL: api).test(.live) { client in
                let signedIn: HTTPFields = [.cookie: try await TestSessions.signIn().cookie]
                try await client.execute(uri: "/api/v1/redirect", method: .get, headers: signedIn) { response async throws in
                    #expect(response.status == .found)
                    #expect(response.headers[.location] == "http://elsewhere.invalid/landing")
                }
                try await client.execute(uri: "/api/v1/hop", method: .get, headers: signedIn) { response async throws in
                    #expect(response.headers[HTTPField.Name("X-Private-Hop")!] == nil)
                    #expect(response.headers[HTTPField.Name("Keep-Alive")!] == nil)
                    #expect(response.headers[HTTPField.Name("X-Kept")!] == "yes")
                    #expect(String(buffer: response.body) == "ok")
                }
            }
        }
    }

    @Test("/api/v1/health is public, like the API's own: answered without a session, forwarded without credentials")
    func publicHealth() async throws {
        try await withUpstream { api in
            try await makeGateway(apiURL: api).test(.router) { client in
                try await client.execute(uri: "/api/v1/health", method: .get) { response async throws in
                    #expect(response.status == .ok)
                    #expect(try JSONValue.parse(String(buffer: response.body))["status"]?.string == "ok")
                }
                // Signed in or not, nothing of the session goes with it.
                let signedIn: HTTPFields = [.cookie: try await TestSessions.signIn().cookie]
                try await client.execute(uri: "/api/v1/health", method: .get, headers: signedIn) { response async throws in
                    let seen = try JSONValue.parse(String(buffer: response.body))
                    #expect(seen["authorization"]?.string == "")
                    #expect(seen["session"]?.string == "")
                    #expect(seen["cookie"]?.string == "")
                }
                // Every other API path, and every other method on this one, still needs a session.
                try await client.execute(uri: "/api/v1/healthz", method: .get) { response async throws in
                    #expect(response.status == .unauthorized)
                }
                try await client.execute(uri: "/api/v1/health", method: .post) { response async throws in
                    #expect(response.status == .unauthorized)
                }
            }
        }
    }

    @Test("API down → 502 in the JSON error shape")
    func apiDown() async throws {
        let deadPort = try Command.freePort()
        try await makeGateway(apiURL: "http://127.0.0.1:\(deadPort)").test(.router) { client in
            let signedIn: HTTPFields = [.cookie: try await TestSessions.signIn().cookie]
            try await client.execute(uri: "/api/v1/health", method: .get, headers: signedIn) { response async throws in
                #expect(response.status == .badGateway)
                let body = try JSONDecoder().decode(ErrorBody.self, from: Data(buffer: response.body))
                #expect(body.error.code == "api_unreachable")
            }
        }
    }

    @Test("through the gateway to the real API: health, and the API's own body limit")
    func realAPI() async throws {
        let db = try await TestDatabase.create()
        defer { db.drop() }
        var service = ServiceConfig(serviceName: "orcastra-api", version: "real", redis: try TestEnvironment.redisURL())
        service.maxBodyBytes = 4096
        let api = try OrcastraAPI.buildApplication(config: APIConfig(service: service, database: db.url, secrets: .embedded(masterKey: String(repeating: "k", count: 40)), auth: AuthSettings(token: nil)), sink: LogSink(.memory))
        try await api.test(.live) { apiClient in
            try await makeGateway(apiURL: "http://127.0.0.1:\(apiClient.port!)").test(.live) { client in
                let signedIn: HTTPFields = [.cookie: try await TestSessions.signIn().cookie]
                try await client.execute(uri: "/api/v1/health", method: .get, headers: signedIn) { response async throws in
                    #expect(response.status == .ok)
                    let report = try JSONDecoder().decode(HealthReport.self, from: Data(buffer: response.body))
                    #expect(report.version == "real")
                    #expect(report.checks.keys.sorted() == ["postgres", "redis"])
                }
                try await client.execute(uri: "/api/v1/anything", method: .post, headers: signedIn, body: ByteBuffer(repeating: 1, count: 8192)) { response async throws in
                    #expect(response.status == .contentTooLarge)
                    #expect(try JSONDecoder().decode(ErrorBody.self, from: Data(buffer: response.body)).error.code == "payload_too_large")
                }
            }
        }
    }
}
