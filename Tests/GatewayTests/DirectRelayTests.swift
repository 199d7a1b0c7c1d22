import Crypto
import Foundation
import HTTPTypes
import Logging
import Hummingbird
import HummingbirdTesting
import NIOCore
import NIOHTTP1
import NIOPosix
import OrcastraModels
import OrcastraRuntime
import OrcastraTestSupport
import Synchronization
import Testing

@testable import OrcastraGateway

/// The gateway's direct relay (`DirectRelay`) in front of a router that only counts what
/// reaches it, so each test sees which path answered: the relay's, or the router's.
@Suite("Gateway direct relay")
struct DirectRelayTests {
    /// Requests that reached the router, by path.
    final class RouterHits: Sendable {
        private let paths = Mutex<[String]>([])
        func add(_ path: String) { self.paths.withLock { $0.append(path) } }
        var all: [String] { self.paths.withLock { $0 } }
    }

    struct Harness {
        let client: any TestClientProtocol
        let port: Int
        let hits: RouterHits
        let vault: SessionVault
        let sink: LogSink
        /// A session planted in Redis and trusted in memory, as after a first read.
        let planted: TestSessions.Planted

        var cookie: HTTPFields { [.cookie: self.planted.cookie] }

        func get(_ path: String, headers: HTTPFields? = nil) async throws -> TestResponse {
            try await self.client.execute(uri: path, method: .get, headers: headers ?? self.cookie)
        }
    }

    /// Runs `body` against a relay to the API at `apiURL`; `expiresIn` is the planted session's
    /// access-token lifetime (the relay leaves a session due for refresh to the router).
    static func withRelay(apiURL: String, expiresIn: Double = 3600, _ body: @Sendable (Harness) async throws -> Void) async throws {
        let config = try gatewayConfig(apiURL: apiURL)
        let sessions = OpenedSessions()
        sessions.subscription(up: true)
        let vault = SessionVault(redis: RedisClient(url: try TestEnvironment.redisURL()), key: config.auth.keys.sessionSealing, opened: sessions)
        let planted = try await TestSessions.signIn(expiresIn: expiresIn, vault: vault)
        let key = SessionVault.redisKey(planted.id)
        sessions.remember(planted.session, at: key, value: [], apiSession: planted.session.apiSessionID.uuidString.lowercased(),
                          readAt: sessions.generation, window: .seconds(60))
        let sink = LogSink(.memory)
        let upstream = try UpstreamPool(endpoint: try #require(.init(url: apiURL)), keepIdle: 4)
        let route = RelayRoute(upstream: upstream, vault: vault, skew: config.auth.refreshSkew, clientIP: config.service.clientIP, probes: nil,
                               publicOrigin: "http://localhost:4321", serverName: gatewayServerName,
                               accessLog: AccessLogMiddleware(config: config.service, sink: sink), logger: Logger(label: "relay-test"))
        let hits = RouterHits()
        let router = Router()
        router.add(middleware: CountingMiddleware(hits: hits))
        let app = Application(router: router, server: .http1(configuration: .init(additionalChannelHandlers: [DirectRelay(route: route)])),
                              configuration: .init(address: .hostname("127.0.0.1", port: 0)), services: [upstream])
        try await app.test(.live) { client in
            try await body(Harness(client: client, port: try #require(client.port), hits: hits, vault: vault, sink: sink, planted: planted))
        }
    }

    /// Answers everything with "router" and notes the path.
    struct CountingMiddleware: RouterMiddleware {
        let hits: RouterHits
        func handle(_ request: Request, context: BasicRequestContext, next: (Request, BasicRequestContext) async throws -> Response) async throws -> Response {
            self.hits.add(request.uri.path)
            return Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: "router")))
        }
    }

    @Test("a trusted session's call is relayed with the proxy's headers, and its answer and access line come back")
    func relayed() async throws {
        try await withUpstream { api in
            try await Self.withRelay(apiURL: api) { relay in
                var headers = relay.cookie
                headers[.contentType] = "application/json"
                headers[.authorization] = "Bearer forged"
                headers[RequestID.header] = "relay-test-1"
                let response = try await relay.client.execute(uri: "/api/v1/digest", method: .post, headers: headers, body: ByteBuffer(string: "{\"a\":1}"))
                #expect(response.status == .ok)
                #expect(relay.hits.all.isEmpty)
                let report = try JSONValue.parse(String(buffer: response.body))
                #expect(report["bytes"] == .number(7))
                #expect(report["authorization"]?.string == "Bearer " + relay.planted.session.accessToken)
                #expect(report["session"]?.string == relay.planted.session.apiSessionID.uuidString.lowercased())
                #expect(report["request_id"]?.string == "relay-test-1")
                #expect(report["forwarded_for"]?.string == "127.0.0.1")
                #expect(response.headers[RequestID.header] == "relay-test-1")
                #expect(response.headers[.server] == gatewayServerName)
                let line = try #require(relay.sink.lines.first { $0.contains("\"log_type\":\"access\"") })
                let entry = try JSONValue.parse(line)
                #expect(entry["status_code"] == .number(200))
                #expect(entry["path"]?.string == "/api/v1/digest")
                #expect(entry["request_id"]?.string == "relay-test-1")
            }
        }
    }

    @Test("what the relay must not decide reaches the router", arguments: [
        "no cookie", "unknown session", "HEAD", "health", "cross-origin POST", "body over 64 KiB", "protocol switch", "not the API",
    ])
    func leftToRouter(_ kind: String) async throws {
        try await withUpstream { api in
            try await Self.withRelay(apiURL: api) { relay in
                var headers = relay.cookie
                var method = HTTPRequest.Method.get
                var path = "/api/v1/digest"
                var body: ByteBuffer?
                switch kind {
                case "no cookie": headers = [:]
                case "unknown session": headers = [.cookie: "\(SessionVault.cookieName)=\(String(repeating: "x", count: 43))"]
                case "HEAD": method = .head
                case "health": path = APIProxy.healthPath
                case "cross-origin POST":
                    (method, body) = (.post, ByteBuffer(string: "{}"))
                    headers[.origin] = "http://evil.example"
                case "body over 64 KiB": (method, body) = (.post, ByteBuffer(repeating: 0x41, count: 65 * 1024))
                case "protocol switch": headers[.upgrade] = "websocket"
                default: path = "/clusters"
                }
                let response = try await relay.client.execute(uri: path, method: method, headers: headers, body: body)
                #expect(response.status == .ok)
                #expect(relay.hits.all == [path])
            }
        }
    }

    @Test("a request that asks to close the connection goes to the router, which closes it after the answer")
    func connectionClose() async throws {
        try await withUpstream { api in
            try await Self.withRelay(apiURL: api) { relay in
                let answer = try await RawClient.untilClosed(port: relay.port, request:
                    "GET /api/v1/hop HTTP/1.1\r\nHost: localhost\r\nCookie: \(relay.planted.cookie)\r\nConnection: close\r\n\r\n")
                #expect(answer.hasPrefix("HTTP/1.1 200"))
                #expect(answer.hasSuffix("router"))
                #expect(relay.hits.all == ["/api/v1/hop"])
            }
        }
    }

    @Test("a session whose token is due for refresh goes to the router, which refreshes it")
    func refreshDue() async throws {
        try await withUpstream { api in
            try await Self.withRelay(apiURL: api, expiresIn: 30) { relay in
                _ = try await relay.get("/api/v1/hop")
                #expect(relay.hits.all == ["/api/v1/hop"])
            }
        }
    }

    @Test("pipelined requests are answered in the order they came, relayed or not")
    func pipelined() async throws {
        let api = try await ScriptedAPI.start()
        defer { Task { try? await api.stop() } }
        try await Self.withRelay(apiURL: "http://127.0.0.1:\(api.port)") { relay in
            let answers = try await RawClient.pipeline(port: relay.port, cookie: relay.planted.cookie,
                                                       paths: ["/api/v1/slow", "/api/v1/ok", "/page", "/api/v1/ok"])
            #expect(answers == ["slow", "ok", "router", "router"])
            #expect(relay.hits.all == ["/page", "/api/v1/ok"])
        }
    }

    @Test("a large answer is read from the API only as fast as the browser takes it; a browser that leaves closes the API connection")
    func backpressure() async throws {
        let api = try await ScriptedAPI.start()
        defer { Task { try? await api.stop() } }
        try await Self.withRelay(apiURL: "http://127.0.0.1:\(api.port)") { relay in
            let browser = try await RawClient.stalled(port: relay.port, cookie: relay.planted.cookie, path: "/api/v1/big")
            try await Task.sleep(for: .seconds(1))
            let written = api.counts.withLock { $0.bigBytesWritten }
            // Socket buffers on both sides hold some megabytes; without backpressure the gateway
            // would take all 64 MiB into memory within a second.
            #expect(written > 0 && written < 32 << 20, "the API wrote \(written) bytes to a browser that reads nothing")
            try await browser.close()
            try await Command.waitUntil(.seconds(10), "the API connection is closed") { api.counts.withLock { $0.closed } >= 1 }
            #expect(relay.hits.all.isEmpty)
        }
    }

    @Test("the API's 'session ended' comes back as it is, and the gateway stops trusting that session")
    func sessionEnded() async throws {
        let api = try await ScriptedAPI.start()
        defer { Task { try? await api.stop() } }
        try await Self.withRelay(apiURL: "http://127.0.0.1:\(api.port)") { relay in
            let response = try await relay.get("/api/v1/ended")
            #expect(response.status == .unauthorized)
            #expect(try JSONCoding.decoder.decode(ErrorBody.self, from: Data(buffer: response.body)).error.code == "session_ended")
            #expect(relay.vault.trusted(key: SessionVault.redisKey(relay.planted.id)) == nil)
            _ = try await relay.get("/api/v1/ok")
            #expect(relay.hits.all == ["/api/v1/ok"])
            try await Command.waitUntil(.seconds(5), "the session is deleted from Redis") {
                (try? await relay.vault.load(relay.planted.id, fresh: true)) == nil
            }
        }
    }

    @Test("a kept-alive connection the API dropped as a GET arrived is replaced by a new one")
    func droppedKeptAlive() async throws {
        let api = try await ScriptedAPI.start()
        defer { Task { try? await api.stop() } }
        try await Self.withRelay(apiURL: "http://127.0.0.1:\(api.port)") { relay in
            let first = try await relay.get("/api/v1/flaky")
            let second = try await relay.get("/api/v1/flaky")
            #expect(first.status == .ok && second.status == .ok)
            #expect(api.counts.withLock { $0.opened } == 2)
            #expect(relay.hits.all.isEmpty)
        }
    }

    @Test("an API that cannot be reached is a 502 in the error shape, logged as such")
    func unreachable() async throws {
        let gone = try await ScriptedAPI.start()
        let port = gone.port
        try await gone.stop()
        try await Self.withRelay(apiURL: "http://127.0.0.1:\(port)") { relay in
            let response = try await relay.get("/api/v1/ok")
            #expect(response.status == .badGateway)
            #expect(try JSONCoding.decoder.decode(ErrorBody.self, from: Data(buffer: response.body)).error.code == "api_unreachable")
            #expect(relay.hits.all.isEmpty)
            #expect(relay.sink.lines.contains { $0.contains("\"status_code\":502") && $0.contains("api_unreachable") })
        }
    }
}

/// A browser that talks HTTP/1.1 over one raw connection: pipelines requests, or stops reading.
enum RawClient {
    /// Sends GETs for `paths` in one write and returns the answers' bodies in the order they came.
    static func pipeline(port: Int, cookie: String, paths: [String]) async throws -> [String] {
        let collector = Collector(expected: paths.count)
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(collector)
                }
            }
            .connect(host: "127.0.0.1", port: port).get()
        for path in paths {
            let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: path, headers: ["Host": "localhost", "Cookie": cookie])
            channel.write(HTTPClientRequestPart.head(head), promise: nil)
            channel.write(HTTPClientRequestPart.end(nil), promise: nil)
        }
        channel.flush()
        defer { channel.close(promise: nil) }
        return try await collector.done.futureResult.get()
    }

    /// Sends `request` as it is and returns everything the server sent until it closed the
    /// connection (failing after 10 s if it does not).
    static func untilClosed(port: Int, request: String) async throws -> String {
        let collector = RawCollector()
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(collector) } }
            .connect(host: "127.0.0.1", port: port).get()
        try await channel.writeAndFlush(ByteBuffer(string: request))
        channel.eventLoop.scheduleTask(in: .seconds(10)) { channel.close(promise: nil) }
        try await channel.closeFuture.get()
        return try await channel.eventLoop.submit { collector.raw }.get()
    }

    /// Asks for `path` on a connection that never reads its answer.
    static func stalled(port: Int, cookie: String, path: String) async throws -> any Channel {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.autoRead, value: false)
            .connect(host: "127.0.0.1", port: port).get()
        try await channel.writeAndFlush(ByteBuffer(string: "GET \(path) HTTP/1.1\r\nHost: localhost\r\nCookie: \(cookie)\r\n\r\n"))
        return channel
    }

    /// Collects answers' bodies.
    final class Collector: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = HTTPClientResponsePart
        let expected: Int
        var bodies: [String] = []
        var current = ""
        var done: EventLoopPromise<[String]>! = nil

        init(expected: Int) {
            self.expected = expected
        }

        func handlerAdded(context: ChannelHandlerContext) {
            self.done = context.eventLoop.makePromise()
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch self.unwrapInboundIn(data) {
            case .head: self.current = ""
            case .body(let buffer): self.current += String(buffer: buffer)
            case .end:
                self.bodies.append(self.current)
                if self.bodies.count == self.expected { self.done.succeed(self.bodies) }
            }
        }

        func channelInactive(context: ChannelHandlerContext) {
            self.done.fail(UpstreamError.closed)
        }
    }

    /// Collects the bytes as they come.
    final class RawCollector: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = ByteBuffer
        var raw = ""

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            self.raw += String(buffer: self.unwrapInboundIn(data))
        }
    }
}
