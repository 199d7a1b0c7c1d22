import NIOCore
import NIOHTTP1
import OrcastraTestSupport
import Testing

@testable import OrcastraGateway

/// The gateway's own HTTP/1.1 client to the API, against a server that misbehaves on purpose
/// (`ScriptedAPI`): what it keeps alive, what it repeats, when it gives up, and how it stops
/// reading when nobody reads the answer.
@Suite("Gateway connections to the API")
struct UpstreamPoolTests {
    static func withPool(keepIdle: Int = 4, _ body: (UpstreamPool, ScriptedAPI) async throws -> Void) async throws {
        let server = try await ScriptedAPI.start()
        let pool = try UpstreamPool(endpoint: try #require(.init(url: "http://127.0.0.1:\(server.port)")), keepIdle: keepIdle)
        do {
            try await body(pool, server)
            try await server.stop()
        } catch {
            try? await server.stop()
            throw error
        }
    }

    static func head(_ path: String, method: HTTPMethod = .GET, headers: HTTPHeaders = [:]) -> HTTPRequestHead {
        var headers = headers
        headers.add(name: "Host", value: "api")
        return HTTPRequestHead(version: .http1_1, method: method, uri: path, headers: headers)
    }

    static func text(_ response: UpstreamResponse) throws -> String {
        guard case .whole(let buffer) = response.body else { throw UpstreamError.unexpectedAnswer }
        return String(buffer: buffer)
    }

    /// Waits until `condition` holds on the server's counts (they change on its event loop).
    static func eventually(_ server: ScriptedAPI, _ condition: (ScriptedAPI.Stats) -> Bool) async throws -> ScriptedAPI.Stats {
        try await Command.waitUntil(.seconds(2), "the scripted server's counts to settle") { server.counts.withLock { condition($0) } }
        return server.counts.withLock { $0 }
    }

    @Test("one connection carries request after request; concurrent requests open more, and only keepIdle of them stay")
    func keptAlive() async throws {
        try await Self.withPool(keepIdle: 2) { pool, server in
            for _ in 0..<50 {
                let answer = try await pool.send(Self.head("/ok"), body: .none, idleTimeout: .seconds(5))
                #expect(answer.head.status == .ok)
                #expect(try Self.text(answer) == "ok")
            }
            #expect(server.counts.withLock { $0.opened } == 1)

            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<8 { group.addTask { _ = try await pool.send(Self.head("/ok"), body: .none, idleTimeout: .seconds(5)) } }
                try await group.waitForAll()
            }
            let stats = try await Self.eventually(server) { $0.opened - $0.closed == 2 }
            #expect(stats.opened > 1, "eight requests at once need more than one connection")
            #expect(stats.opened - stats.closed == 2, "only keepIdle connections are kept between requests")
        }
    }

    @Test("a kept-alive connection the API drops as a request arrives: GET is sent again on a new one, POST reports the failure")
    func droppedKeptAlive() async throws {
        try await Self.withPool { pool, server in
            _ = try await pool.send(Self.head("/ok"), body: .none, idleTimeout: .seconds(5))
            let again = try await pool.send(Self.head("/flaky"), body: .none, idleTimeout: .seconds(5))
            #expect(again.head.status == .ok)
            #expect(server.counts.withLock { $0.opened } == 2)

            _ = try await pool.send(Self.head("/ok"), body: .none, idleTimeout: .seconds(5))
            await #expect(throws: UpstreamError.self) {
                _ = try await pool.send(Self.head("/flaky", method: .POST, headers: ["Content-Length": "2"]), body: .whole(ByteBuffer(string: "{}")), idleTimeout: .seconds(5))
            }
        }
    }

    @Test("an API that stays silent fails the request after the idle timeout, and its connection is not reused", .timeLimit(.minutes(1)))
    func silence() async throws {
        try await Self.withPool { pool, server in
            do {
                _ = try await pool.send(Self.head("/silent"), body: .none, idleTimeout: .milliseconds(300))
                Issue.record("a silent API answered")
            } catch UpstreamError.timedOut(let after) {
                #expect(after == .milliseconds(300))
            }
            let answer = try await pool.send(Self.head("/ok"), body: .none, idleTimeout: .seconds(5))
            #expect(answer.head.status == .ok)
            let stats = try await Self.eventually(server) { $0.closed == 1 }
            #expect(stats.opened == 2 && stats.closed == 1, "the timed-out connection is closed, a new one answers")
        }
    }

    @Test("a streamed answer nobody reads stops being read from the socket; dropping it closes its connection")
    func backpressure() async throws {
        try await Self.withPool { pool, server in
            let answer = try await pool.send(Self.head("/big"), body: .none, idleTimeout: .seconds(5))
            guard case .stream(let body) = answer.body else {
                Issue.record("a 64 MiB chunked answer was not streamed")
                return
            }
            var iterator: UpstreamBody.AsyncIterator? = body.makeAsyncIterator()
            let first = try await iterator?.next()
            #expect(first != nil)
            try await Task.sleep(for: .milliseconds(500))
            let written = server.counts.withLock { $0.bigBytesWritten }
            #expect(written < ScriptedAPI.bigSize / 4, "the server got \(written) bytes out to a reader that took one chunk")

            iterator = nil
            let stats = try await Self.eventually(server) { $0.closed == 1 }
            #expect(stats.closed == 1, "an abandoned answer closes its connection")
            let next = try await pool.send(Self.head("/ok"), body: .none, idleTimeout: .seconds(5))
            #expect(try Self.text(next) == "ok")
        }
    }

    @Test("an answer that comes before the upload is sent ends the upload, and the half-sent connection is closed")
    func earlyAnswer() async throws {
        try await Self.withPool { pool, server in
            let (chunks, feed) = AsyncThrowingStream<ByteBuffer, any Error>.makeStream()
            feed.yield(ByteBuffer(string: "first part"))
            let answer = try await pool.send(
                Self.head("/early", method: .POST, headers: ["Transfer-Encoding": "chunked"]), body: .stream(chunks), idleTimeout: .seconds(5)
            )
            #expect(answer.head.status == .payloadTooLarge)
            #expect(try Self.text(answer) == "too big")
            await answer.endUpload()
            let stats = try await Self.eventually(server) { $0.closed == 1 }
            #expect(stats.closed == 1)
            let next = try await pool.send(Self.head("/ok"), body: .none, idleTimeout: .seconds(5))
            #expect(try Self.text(next) == "ok")
            feed.finish()
        }
    }
}
