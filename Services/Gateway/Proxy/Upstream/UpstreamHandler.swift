import NIOCore
import NIOHTTP1

/// The end of a connection to the API's pipeline: runs one exchange at a time and hands the
/// answer, part by part, to the exchange's `UpstreamReceiver`; a receiver that cannot take
/// more pauses socket reads until it calls `resume`.
///
/// Everything here runs on the connection's event loop; `UpstreamConnection` is the face the
/// proxy's tasks see. Why not AsyncHTTPClient: the gateway's every proxied request goes to the
/// one API over a kept-alive connection, and under load AsyncHTTPClient's general machinery
/// (URL parsing, per-request state machines, a task and a body stream per answer) cost about a
/// third of the gateway's CPU. This is the part of it the proxy needs, and no more.
final class UpstreamHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = HTTPClientRequestPart
    typealias OutboundOut = HTTPClientRequestPart

    /// Answers that declare a length up to this are collected and handed over in one piece
    /// (nearly every answer: small JSON); larger or undeclared ones stream.
    static let wholeLimit = 64 * 1024

    /// What a receiver wants after a piece of body.
    enum Demand {
        case more
        /// Stop reading the socket until `resume()`.
        case pause
        /// The receiver is gone: the exchange is abandoned and the connection closed.
        case stop
    }

    private enum State {
        /// No exchange; the connection may be leased.
        case idle
        case exchanging(any UpstreamReceiver, answered: Bool)
        /// The connection failed or closed; it is never used again.
        case closed
    }

    private var state = State.idle
    private var context: ChannelHandlerContext?
    /// Called (on the event loop) when an exchange ended cleanly on a connection that may carry
    /// the next one: the pool takes it back before the answer's end reaches its receiver, so
    /// the receiver has nothing to give back.
    private let reusable: (UpstreamConnection) -> Void
    /// Counts exchanges, so a late "resume" or "consumer gone" cannot touch a later exchange.
    private var exchange = 0
    private var keepAlive = true
    /// The request's `.end` has been written (false while an upload is still streaming).
    private var requestSent = true
    /// The receiver asked for a pause; socket reads wait until it wants more.
    private var paused = false
    private var readPending = false
    private var idleTimeout = TimeAmount.seconds(300)
    private var lastRead = NIODeadline.now()
    private var timer: Scheduled<Void>?

    init(reusable: @escaping (UpstreamConnection) -> Void) {
        self.reusable = reusable
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    /// Starts an exchange: writes the head, the body when it is whole, and `.end` when
    /// `complete` (otherwise the caller streams the rest through the channel). Answers the
    /// exchange's number, or nil when the connection could not take it (the receiver has then
    /// been told).
    @discardableResult
    func begin(_ head: HTTPRequestHead, body: ByteBuffer?, complete: Bool, idleTimeout: TimeAmount, receiver: any UpstreamReceiver) -> Int? {
        guard case .idle = self.state, let context = self.context, context.channel.isActive else {
            receiver.failed(UpstreamError.closed)
            return nil
        }
        self.exchange += 1
        self.state = .exchanging(receiver, answered: false)
        self.keepAlive = head.isKeepAlive
        self.requestSent = complete
        self.paused = false
        self.idleTimeout = idleTimeout
        self.lastRead = .now()
        context.write(self.wrapOutboundOut(.head(head)), promise: nil)
        if let body { context.write(self.wrapOutboundOut(.body(.byteBuffer(body))), promise: nil) }
        if complete { context.write(self.wrapOutboundOut(.end(nil)), promise: nil) }
        context.flush()
        self.armTimer(context)
        return self.exchange
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = self.unwrapOutboundIn(data) { self.requestSent = true }
        context.write(data, promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        self.lastRead = .now()
        switch (self.unwrapInboundIn(data), self.state) {
        case (.head(let head), .exchanging(let receiver, answered: false)):
            // 1xx heads are interim; the real answer follows.
            if head.status.code < 200 { return }
            self.keepAlive = self.keepAlive && head.isKeepAlive
            self.state = .exchanging(receiver, answered: true)
            receiver.head(head, length: Self.declaredLength(head), from: self, exchange: self.exchange)
        case (.body(let chunk), .exchanging(let receiver, answered: true)):
            switch receiver.body(chunk) {
            case .more: break
            case .pause: self.paused = true
            case .stop: self.abandon(context)
            }
        case (.end, .exchanging(let receiver, answered: true)):
            self.ended(context)
            receiver.end()
        default:
            // Bytes no exchange asked for: this connection's framing cannot be trusted.
            self.fail(UpstreamError.unexpectedAnswer)
            context.close(promise: nil)
        }
    }

    /// The body length an answer declares; 204 and 304 have none whatever they say.
    private static func declaredLength(_ head: HTTPResponseHead) -> Int? {
        if head.status == .noContent || head.status == .notModified { return 0 }
        return head.headers.first(name: "content-length").flatMap { Int($0) }
    }

    /// The answer is complete: the connection goes back to the pool if both sides allow it.
    private func ended(_ context: ChannelHandlerContext) {
        self.timer?.cancel()
        self.timer = nil
        self.state = .idle
        if self.keepAlive && self.requestSent {
            self.reusable(UpstreamConnection(channel: context.channel, handler: NIOLoopBound(self, eventLoop: context.eventLoop)))
        } else {
            // An answer that came before the whole upload was sent (a 413, say) leaves the
            // request half-framed; `Connection: close` means what it says.
            self.state = .closed
            context.close(promise: nil)
        }
    }

    func read(context: ChannelHandlerContext) {
        if self.paused { self.readPending = true } else { context.read() }
    }

    /// The receiver of `exchange` wants more.
    func resume(exchange: Int) {
        guard exchange == self.exchange else { return }
        self.paused = false
        if self.readPending, let context = self.context {
            self.readPending = false
            context.read()
        }
    }

    /// The receiver of `exchange` went away (the browser left) before the answer ended.
    func abandon(exchange: Int) {
        guard exchange == self.exchange, case .exchanging = self.state, let context = self.context else { return }
        self.abandon(context)
    }

    private func abandon(_ context: ChannelHandlerContext) {
        self.fail(UpstreamError.abandoned)
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.fail(UpstreamError.closed)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.fail(error)
        context.close(promise: nil)
    }

    private func fail(_ error: any Error) {
        self.timer?.cancel()
        self.timer = nil
        let state = self.state
        self.state = .closed
        if case .exchanging(let receiver, _) = state { receiver.failed(error) }
    }

    /// Fails the exchange when nothing has been read for `idleTimeout`; one timer per exchange,
    /// moved on when it finds reads happened since it was set.
    private func armTimer(_ context: ChannelHandlerContext) {
        let due = self.lastRead + self.idleTimeout
        self.timer = context.eventLoop.assumeIsolated().scheduleTask(deadline: due) { [self] in
            guard self.timer != nil else { return }
            if NIODeadline.now() >= self.lastRead + self.idleTimeout {
                self.fail(UpstreamError.timedOut(self.idleTimeout))
                context.close(promise: nil)
            } else {
                self.armTimer(context)
            }
        }
    }
}
