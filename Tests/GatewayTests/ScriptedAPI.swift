import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// A raw HTTP/1.1 server standing in for the API where the gateway's connection pool must meet
/// what a framework would never do on purpose: drop a kept-alive connection as a request
/// arrives, stay silent, answer before reading the body, or write only as fast as the reader
/// takes. It counts connections and bytes so the pool's behaviour is seen from the far side.
///
/// Paths (also under `/api/v1`, as the gateway's relay sends them): `/ok` answers "ok";
/// `/slow` answers "slow" after 300 ms; `/flaky` closes the connection without answering when
/// it is not the connection's first request; `/silent` never answers; `/early` answers 413 on
/// the head without reading the body; `/big` streams 64 MiB, each write waiting for the last;
/// `/ended` is the API's 401 for a session that has ended.
final class ScriptedAPI: Sendable {
    struct Stats: Sendable {
        var opened = 0
        var closed = 0
        var bigBytesWritten = 0
    }

    static let bigSize = 64 << 20
    static let chunk = ByteBuffer(repeating: 0x2A, count: 64 * 1024)

    final class Counts: Sendable {
        private let stats = Mutex(Stats())
        func withLock<T: Sendable>(_ body: (inout Stats) -> T) -> T { self.stats.withLock { body(&$0) } }
    }

    let counts: Counts
    private let channel: any Channel
    var port: Int { self.channel.localAddress?.port ?? 0 }

    private init(channel: any Channel, counts: Counts) {
        self.channel = channel
        self.counts = counts
    }

    static func start() async throws -> ScriptedAPI {
        let counts = Counts()
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(Handler(counts: counts))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return ScriptedAPI(channel: channel, counts: counts)
    }

    func stop() async throws {
        try await self.channel.close()
    }

    private final class Handler: ChannelInboundHandler {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart

        let counts: Counts
        var requests = 0
        var path = ""
        var answered = false

        init(counts: Counts) {
            self.counts = counts
        }

        func channelActive(context: ChannelHandlerContext) {
            self.counts.withLock { $0.opened += 1 }
            context.fireChannelActive()
        }

        func channelInactive(context: ChannelHandlerContext) {
            self.counts.withLock { $0.closed += 1 }
            context.fireChannelInactive()
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch self.unwrapInboundIn(data) {
            case .head(let head):
                self.requests += 1
                self.path = head.uri.hasPrefix("/api/v1/") ? String(head.uri.dropFirst(7)) : head.uri
                self.answered = false
                if self.path == "/flaky" && self.requests > 1 { context.close(promise: nil) }
                if self.path == "/early" { self.answer(context, status: .payloadTooLarge, body: "too big") }
            case .body:
                break
            case .end:
                switch self.path {
                case "/ok", "/flaky": self.answer(context, status: .ok, body: "ok")
                case "/big": self.stream(context)
                case "/ended": self.answer(context, status: .unauthorized, body: #"{"error":{"code":"session_ended","message":"This session has ended."}}"#)
                case "/slow":
                    context.eventLoop.assumeIsolated().scheduleTask(in: .milliseconds(300)) {
                        self.answer(context, status: .ok, body: "slow")
                    }
                default: break
                }
            }
        }

        private func answer(_ context: ChannelHandlerContext, status: HTTPResponseStatus, body: String) {
            guard !self.answered else { return }
            self.answered = true
            let head = HTTPResponseHead(version: .http1_1, status: status, headers: ["Content-Length": String(body.utf8.count)])
            context.write(self.wrapOutboundOut(.head(head)), promise: nil)
            context.write(self.wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: body)))), promise: nil)
            context.writeAndFlush(self.wrapOutboundOut(.end(nil)), promise: nil)
        }

        /// Chunked, one 64 KiB write at a time, the next only once the last has left.
        private func stream(_ context: ChannelHandlerContext) {
            context.write(self.wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok))), promise: nil)
            self.writeChunk(context, remaining: ScriptedAPI.bigSize)
        }

        private func writeChunk(_ context: ChannelHandlerContext, remaining: Int) {
            guard remaining > 0 else {
                context.writeAndFlush(self.wrapOutboundOut(.end(nil)), promise: nil)
                return
            }
            context.writeAndFlush(self.wrapOutboundOut(.body(.byteBuffer(ScriptedAPI.chunk)))).assumeIsolated().whenSuccess {
                self.counts.withLock { $0.bigBytesWritten += ScriptedAPI.chunk.readableBytes }
                self.writeChunk(context, remaining: remaining - ScriptedAPI.chunk.readableBytes)
            }
        }
    }
}
