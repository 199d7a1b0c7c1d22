import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import OrcastraRuntime
import OrcastraTestSupport
import Testing

@Suite("Log line shapes")
struct LoggingTests {
    static let config = ServiceConfig(serviceName: "orcastra-test", version: "9.9.9")

    @Test("an application line is one JSON object with the app fields")
    func appLine() throws {
        let sink = LogSink(.memory)
        var logger = Logger(label: "unit") { label in
            JSONLogHandler(label: label, service: "orcastra-test", version: "9.9.9", level: .debug, json: true, sink: sink)
        }
        logger[metadataKey: "cluster"] = "lab"
        logger.info("hello \"world\"\nsecond line")
        #expect(sink.lines.count == 1)
        let line = try JSONValue.parse(sink.lines[0])
        #expect(line["log_type"] == .string("app"))
        #expect(line["level"] == .string("info"))
        #expect(line["message"] == .string("hello \"world\"\nsecond line"))
        #expect(line["logger"] == .string("unit"))
        #expect(line["service"] == .string("orcastra-test"))
        #expect(line["version"] == .string("9.9.9"))
        #expect(line["metadata"]?["cluster"] == .string("lab"))
        let timestamp = try #require(line["@timestamp"]?.string)
        #expect(try Date(timestamp, strategy: .iso8601.year().month().day().time(includingFractionalSeconds: true)) <= Date())
    }

    @Test("JSON_LOGS=false gives a readable line")
    func humanLine() {
        let sink = LogSink(.memory)
        let logger = Logger(label: "unit") { label in
            JSONLogHandler(label: label, service: "s", version: "v", level: .info, json: false, sink: sink)
        }
        logger.debug("hidden below the level")
        logger.warning("disk almost full")
        #expect(sink.lines.count == 1)
        #expect(sink.lines[0].contains("WARNING [unit] disk almost full"))
        #expect(!sink.lines[0].hasPrefix("{"))
    }

    @Test("an access line carries every access field with its type")
    func accessLine() async throws {
        let sink = LogSink(.memory)
        let router = Router<AppRequestContext>.standard(config: Self.config, sink: sink)
        router.post("/things") { request, _ -> String in
            let body = try await request.body.collect(upTo: 1 << 20)
            return "got \(body.readableBytes)"
        }
        let app = Application(router: router)
        try await app.test(.router) { client in
            try await client.execute(
                uri: "/things?code=very-secret&page=2", method: .post,
                headers: [RequestID.header: "req-42", .userAgent: "tests/1.0", .origin: "http://localhost:4321"],
                body: ByteBuffer(string: "12345")
            ) { response async throws in
                #expect(response.status == .ok)
                #expect(response.headers[RequestID.header] == "req-42")
            }
        }
        let line = try JSONValue.parse(try #require(sink.lines.last))
        let expected: [String: String] = [
            "@timestamp": "string", "log_type": "string", "request_id": "string", "service": "string", "version": "string",
            "method": "string", "path": "string", "query_params": "string", "status_code": "integer", "latency_ms": "number|integer",
            "request_size": "integer", "response_size": "integer", "user": "object", "client": "object", "error": "null", "host": "object",
        ]
        #expect(line.keys == Set(expected.keys))
        for (key, kind) in expected {
            #expect(kind.split(separator: "|").contains(Substring(line[key]?.kind ?? "missing")), "\(key) is \(line[key]?.kind ?? "missing")")
        }
        #expect(line["log_type"] == .string("access"))
        #expect(line["request_id"] == .string("req-42"))
        #expect(line["method"] == .string("POST"))
        #expect(line["path"] == .string("/things"))
        #expect(line["query_params"] == .string("code=[REDACTED]&page=2"))
        #expect(line["status_code"] == .number(200))
        #expect(line["request_size"] == .number(5))
        #expect(line["response_size"] == .number(5))
        #expect(line["user"]?.keys == ["id", "type", "role", "groups", "organizations"])
        #expect(line["user"]?["type"] == .string("anonymous"))
        #expect(line["user"]?["groups"] == .array([]))
        #expect(line["client"]?.keys == ["ip", "proxy_ip", "ip_source", "proxy_trusted", "user_agent", "origin"])
        #expect(line["client"]?["user_agent"] == .string("tests/1.0"))
        #expect(line["client"]?["origin"] == .string("http://localhost:4321"))
        #expect(line["client"]?["proxy_trusted"] == .bool(false))
        #expect(line["host"]?.keys == ["name", "container_id"])
        #expect(!sink.lines.last!.contains("very-secret"))
    }

    @Test("an error response's access line names the error; a hostile request id is replaced")
    func accessLineError() async throws {
        let sink = LogSink(.memory)
        let app = Application(router: Router<AppRequestContext>.standard(config: Self.config, sink: sink))
        try await app.test(.router) { client in
            try await client.execute(uri: "/nowhere", method: .get, headers: [RequestID.header: "bad id\r\ninjected"]) { response async throws in
                #expect(response.status == .notFound)
                let id = try #require(response.headers[RequestID.header])
                #expect(UUID(uuidString: id) != nil)
            }
        }
        let line = try JSONValue.parse(try #require(sink.lines.last))
        #expect(line["status_code"] == .number(404))
        #expect(line["error"]?.string?.hasPrefix("not_found:") == true)
        #expect(UUID(uuidString: line["request_id"]?.string ?? "") != nil)
    }

    @Test("request ids: kept when plausible, replaced otherwise", arguments: [
        ("abc-123", true), ("f9f65f97-d13d-4751-b841-9e746481ae3d", true), ("trace:1.2_3", true),
        ("", false), ("has space", false), ("new\nline", false), ("é", false), (String(repeating: "a", count: 129), false),
    ])
    func requestIDs(raw: String, kept: Bool) {
        #expect((RequestID.sanitised(raw) == raw) == kept)
    }

    @Test("fresh request ids are UUID-shaped, plausible by our own rule, and distinct across threads")
    func freshRequestIDs() async {
        let ids = await withTaskGroup(of: [String].self) { group in
            for _ in 0..<4 { group.addTask { (0..<5_000).map { _ in RequestID.fresh() } } }
            return await group.reduce(into: [String]()) { $0 += $1 }
        }
        #expect(Set(ids).count == ids.count)
        #expect(ids.allSatisfy { UUID(uuidString: $0) != nil && $0 == $0.lowercased() && RequestID.sanitised($0) == $0 })
    }
}
