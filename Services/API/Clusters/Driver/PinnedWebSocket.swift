import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import NIOWebSocket

extension PinnedHTTPS {
    /// Opens a WebSocket to `target` over the same pinned mTLS connection as every other call,
    /// and answers its text messages as they come (the frames of one message joined). The
    /// stream ends when the socket does: with an error when it broke, without one when the
    /// server closed it; ending the iteration closes the socket. Opening (connection, TLS,
    /// upgrade) must succeed within `deadline`.
    func textMessages(_ target: String, deadline: Duration) async throws -> AsyncThrowingStream<String, any Error> {
        let group = MultiThreadedEventLoopGroup.singleton
        let (messages, continuation) = AsyncThrowingStream<String, any Error>.makeStream()
        let loop = group.next()
        let upgraded = loop.makePromise(of: Void.self)
        let https = self
        let address = "\(self.host):\(self.port)"
        let channel: any Channel
        do {
            channel = try await ClientBootstrap(group: loop)
                .connectTimeout(min(self.connectTimeout, deadline).timeAmount)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let refusal = UpgradeRefusal(upgraded: upgraded)
                        // The frame codec goes at the pipeline's end, after the refusal watch,
                        // which must go first: it reads HTTP answers, not bytes.
                        let upgrader = NIOWebSocketClientUpgrader(maxFrameSize: 1 << 20) { channel, _ in
                            channel.pipeline.removeHandler(refusal).flatMapThrowing {
                                try channel.pipeline.syncOperations.addHandler(TextMessages(continuation: continuation))
                            }
                        }
                        try channel.pipeline.syncOperations.addHandler(try https.pinnedTLS())
                        try channel.pipeline.syncOperations.addHTTPClientHandlers(
                            withClientUpgrade: (upgraders: [upgrader], completionHandler: { _ in upgraded.succeed(()) }))
                        try channel.pipeline.syncOperations.addHandler(refusal)
                    }
                }
                .connect(host: self.host, port: self.port).get()
        } catch {
            upgraded.fail(error)
            continuation.finish(throwing: error)
            throw ClusterDriver.classify(error, at: address)
        }
        let timer = loop.scheduleTask(in: deadline.timeAmount) {
            upgraded.fail(ClusterError.timeout(seconds: deadline.seconds))
        }
        var head = HTTPRequestHead(version: .http1_1, method: .GET, uri: target)
        head.headers.add(name: "Host", value: self.host.contains(":") ? "[\(self.host)]:\(self.port)" : address)
        head.headers.add(name: "User-Agent", value: "orcastra-api")
        channel.write(HTTPClientRequestPart.head(head), promise: nil)
        channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
        do {
            try await upgraded.futureResult.get()
            timer.cancel()
        } catch {
            timer.cancel()
            channel.close(promise: nil)
            continuation.finish(throwing: error)
            throw (error as? ClusterError) ?? ClusterDriver.classify(error, at: address)
        }
        continuation.onTermination = { _ in channel.close(promise: nil) }
        return messages
    }
}

/// Before the upgrade: an answer other than `101 Switching Protocols` (LXD's 403 for an
/// untrusted certificate, say) or a broken connection fails the opening with what happened.
private final class UpgradeRefusal: ChannelInboundHandler, RemovableChannelHandler, @unchecked Sendable {
    typealias InboundIn = HTTPClientResponsePart
    let upgraded: EventLoopPromise<Void>

    init(upgraded: EventLoopPromise<Void>) { self.upgraded = upgraded }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head(let head) = self.unwrapInboundIn(data) {
            self.upgraded.fail(ClusterError.server(status: Int(head.status.code), message: "the server refused the WebSocket (HTTP \(head.status.code))"))
            context.close(promise: nil)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.upgraded.fail(error)
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.upgraded.fail(ClusterError.unreachable("the connection closed before the WebSocket opened"))
        context.fireChannelInactive()
    }
}

/// After the upgrade: text messages to the stream, pings answered, a close returned.
private final class TextMessages: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame
    let continuation: AsyncThrowingStream<String, any Error>.Continuation
    /// The frames of a text message not yet finished.
    private var pending = ByteBuffer()
    private var inText = false
    /// The longest message kept: LXD's events are a few KiB.
    static let limit = 1 << 20

    init(continuation: AsyncThrowingStream<String, any Error>.Continuation) { self.continuation = continuation }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = self.unwrapInboundIn(data)
        switch frame.opcode {
        case .text, .continuation:
            if frame.opcode == .text { (self.pending, self.inText) = (ByteBuffer(), true) }
            guard self.inText else { return }
            var chunk = frame.unmaskedData
            guard self.pending.readableBytes + chunk.readableBytes <= Self.limit else {
                self.continuation.finish(throwing: ClusterError.badResponse("a WebSocket message over \(Self.limit) bytes"))
                context.close(promise: nil)
                return
            }
            self.pending.writeBuffer(&chunk)
            if frame.fin {
                self.continuation.yield(String(buffer: self.pending))
                (self.pending, self.inText) = (ByteBuffer(), false)
            }
        case .ping:
            let pong = WebSocketFrame(fin: true, opcode: .pong, maskKey: .random(), data: frame.unmaskedData)
            context.writeAndFlush(self.wrapOutboundOut(pong), promise: nil)
        case .connectionClose:
            let close = WebSocketFrame(fin: true, opcode: .connectionClose, maskKey: .random(), data: ByteBuffer())
            context.writeAndFlush(self.wrapOutboundOut(close)).whenComplete { _ in context.close(promise: nil) }
            self.continuation.finish()
        default:
            break  // binary messages and pongs: nothing LXD's event stream sends
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.continuation.finish(throwing: ClusterError.unreachable("the WebSocket closed"))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.continuation.finish(throwing: error)
        context.close(promise: nil)
    }
}
