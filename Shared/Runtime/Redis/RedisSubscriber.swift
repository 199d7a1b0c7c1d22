import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import Synchronization

/// One Redis pub/sub channel, kept subscribed: it connects, authenticates, subscribes, hands
/// every message to `onMessage`, and reconnects (0.1 s doubling to 5 s) when the connection
/// is lost. `onState(true)` once Redis has confirmed the subscription, `onState(false)` as soon
/// as it is lost: what arrived meanwhile is gone, and whoever relies on the messages must stop
/// relying on them until the next `true`.
///
/// A subscribed connection only receives, so it is its own connection, not one of
/// `RedisClient`'s pipelined ones.
public final class RedisSubscriber: Service, Sendable {
    let url: RedisURL
    let channel: String
    let onMessage: @Sendable ([UInt8]) -> Void
    let onState: @Sendable (Bool) -> Void
    private let current = Mutex<(channel: (any Channel)?, stopped: Bool)>((nil, false))
    private let logger: Logger

    public init(url: RedisURL, channel: String, logger: Logger = Logger(label: "redis"),
                onMessage: @escaping @Sendable ([UInt8]) -> Void, onState: @escaping @Sendable (Bool) -> Void) {
        self.url = url
        self.channel = channel
        self.logger = logger
        self.onMessage = onMessage
        self.onState = onState
    }

    /// Runs until graceful shutdown or cancellation.
    public func run() async throws {
        await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                var delay = Duration.milliseconds(100)
                while !self.current.withLock({ $0.stopped }) {
                    do {
                        try await self.subscribeOnce()
                        delay = .milliseconds(100)
                    } catch {
                        self.logger.debug("redis subscription failed", metadata: ["channel": "\(self.channel)", "error": "\(error)"])
                    }
                    self.onState(false)
                    guard !self.current.withLock({ $0.stopped }) else { break }
                    try? await Task.sleep(for: delay)
                    delay = min(delay * 2, .seconds(5))
                }
            } onGracefulShutdown: {
                self.stop()
            }
        } onCancel: {
            self.stop()
        }
    }

    private func stop() {
        let channel = self.current.withLock { state in
            state.stopped = true
            return state.channel
        }
        channel?.close(promise: nil)
    }

    /// Connects and stays subscribed until the connection ends.
    private func subscribeOnce() async throws {
        let commands = RedisConnection.handshake(self.url) + [[Array("SUBSCRIBE".utf8), Array(self.channel.utf8)]]
        var hello = ByteBuffer()
        for command in commands { RESPEncoder.encode(command, into: &hello) }
        let handler = SubscriptionHandler(channel: Array(self.channel.utf8), onMessage: self.onMessage, onState: self.onState)
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(.seconds(2))
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .connect(host: self.url.host, port: self.url.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandlers([ByteToMessageHandler(RESPDecoder()), handler])
                    return channel
                }
            }
        let stopped = self.current.withLock { state in
            if !state.stopped { state.channel = channel }
            return state.stopped
        }
        if stopped {
            try? await channel.close()
            return
        }
        try await channel.writeAndFlush(hello)
        try? await channel.closeFuture.get()
        self.current.withLock { $0.channel = nil }
    }

    /// Reads the replies to the handshake and SUBSCRIBE, then messages; anything unexpected closes.
    private final class SubscriptionHandler: ChannelInboundHandler, Sendable {
        typealias InboundIn = RESPReply

        let channel: [UInt8]
        let onMessage: @Sendable ([UInt8]) -> Void
        let onState: @Sendable (Bool) -> Void

        init(channel: [UInt8], onMessage: @escaping @Sendable ([UInt8]) -> Void, onState: @escaping @Sendable (Bool) -> Void) {
            self.channel = channel
            self.onMessage = onMessage
            self.onState = onState
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch self.unwrapInboundIn(data) {
            case .value(.status):
                break  // +OK to AUTH or SELECT
            case .value(.array(let parts)) where parts.count == 3 && parts[1] == .bulk(self.channel):
                switch parts[0] {
                case .bulk(Array("message".utf8)):
                    if case .bulk(let payload) = parts[2] { self.onMessage(payload) }
                case .bulk(Array("subscribe".utf8)):
                    self.onState(true)
                default:
                    context.close(promise: nil)
                }
            default:
                // An error reply (wrong password) or something no subscription sends.
                context.close(promise: nil)
            }
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            context.close(promise: nil)
        }
    }
}
