import HTTPTypes
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import OrcastraRuntime

/// The gateway's fast path for API calls: a handler on every browser connection, in front of
/// Hummingbird's, that carries the requests `RelayRoute` accepts to the API and writes the
/// answers back part by part, on the connection's own event loop, with a kept-alive API
/// connection of the same loop: no task, no router, no body stream per request.
///
/// Why: measured under load, the router's path cost the gateway about 190 µs of CPU per
/// proxied call (mostly the hand-overs between the event loop and the request's task, twice:
/// browser side and API side), several times what a plain reverse proxy needs. The relay does
/// the same job the router's `APIProxy` does, with the same rules (`RelayRoute`,
/// `ProxyHeaders`), the same access line and the same answer when the API cannot be reached.
///
/// Everything else passes through to Hummingbird untouched, and answers keep their order: a
/// request is relayed only when nothing handed to Hummingbird is still unanswered, and while
/// one is relayed, later (pipelined) requests wait here and the socket is read no further.
final class DirectRelay: ChannelDuplexHandler, RemovableChannelHandler, UpstreamReceiver {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private enum State {
        case idle
        /// The current request's parts go to Hummingbird, up to its end.
        case passing
        /// A relayed request's body is arriving.
        case reading(RelayExchange)
        /// Sent to the API; its answer is awaited or being written.
        case relaying(RelayExchange)
        /// The browser's connection is gone.
        case closed
    }

    private let route: RelayRoute
    private var state = State.idle
    private var context: ChannelHandlerContext?
    private var peer: String?
    private var keys = RelayRoute.KeyMemo()
    /// Requests handed to Hummingbird whose answer has not ended yet.
    private var unanswered = 0
    /// Parts of later requests that arrived while one was relayed.
    private var held: [HTTPRequestPart] = []
    private var readPending = false
    /// A graceful-shutdown notice that came mid-relay, passed on once the answer is out.
    private var quiesce: Any?

    init(route: RelayRoute) {
        self.route = route
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        self.peer = context.channel.remoteAddress?.ipAddress
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    // MARK: browser → API

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        self.take(self.unwrapInboundIn(data), context)
    }

    private func take(_ part: HTTPRequestPart, _ context: ChannelHandlerContext) {
        switch (self.state, part) {
        case (.closed, _):
            return
        case (.relaying, _):
            self.held.append(part)
        case (.reading(let exchange), .body(let chunk)):
            exchange.body.writeImmutableBuffer(chunk)
        case (.reading(let exchange), .end):
            self.state = .relaying(exchange)
            self.send(exchange, context)
        case (.idle, .head(let request)):
            if self.unanswered == 0, let plan = self.route.plan(request, peer: self.peer, start: .now, keys: &self.keys) {
                self.state = .reading(RelayExchange(plan: plan))
            } else {
                self.unanswered += 1
                self.state = .passing
                context.fireChannelRead(self.wrapInboundOut(part))
            }
        case (.passing, .end):
            self.state = .idle
            context.fireChannelRead(self.wrapInboundOut(part))
        default:
            context.fireChannelRead(self.wrapInboundOut(part))
        }
    }

    /// Sends the request on an idle API connection of this loop, or a new one.
    private func send(_ exchange: RelayExchange, _ context: ChannelHandlerContext) {
        if let connection = self.route.upstream.idleConnection(on: context.eventLoop) {
            exchange.reused = true
            self.begin(exchange, on: connection)
        } else {
            self.connect(exchange, context)
        }
    }

    private func connect(_ exchange: RelayExchange, _ context: ChannelHandlerContext) {
        exchange.reused = false
        self.route.upstream.connect(on: context.eventLoop).assumeIsolated().whenComplete { result in
            switch result {
            case .success(let connection):
                guard case .relaying(let current) = self.state, current === exchange else {
                    connection.channel.close(promise: nil)
                    return
                }
                self.begin(exchange, on: connection)
            case .failure(let error):
                self.failed(error)
            }
        }
    }

    private func begin(_ exchange: RelayExchange, on connection: UpstreamConnection) {
        let handler = connection.handler.value
        exchange.upstream = handler
        let number = handler.begin(exchange.plan.head, body: exchange.body.readableBytes > 0 ? exchange.body : nil, complete: true,
                                   idleTimeout: APIProxy.idleTimeout, receiver: self)
        if let number { exchange.upstreamExchange = number }
    }

    /// While a relayed answer is pending the socket is read on (a browser sends nothing more
    /// until it has its answer, and holding reads would cost two `epoll_ctl` calls a request),
    /// unless a pipelined request is already waiting here: then it stops until that one is
    /// taken up, so waiting requests stay bounded.
    func read(context: ChannelHandlerContext) {
        if case .relaying = self.state, !self.held.isEmpty { self.readPending = true } else { context.read() }
    }

    // MARK: API → browser (UpstreamReceiver)

    private var relaying: (RelayExchange, ChannelHandlerContext)? {
        guard case .relaying(let exchange) = self.state, let context = self.context else { return nil }
        return (exchange, context)
    }

    func head(_ head: HTTPResponseHead, length: Int?, from handler: UpstreamHandler, exchange upstreamExchange: Int) {
        guard let (exchange, context) = self.relaying else { return }
        if head.status == .unauthorized, let length, length <= UpstreamHandler.wholeLimit {
            // Held whole: it may say the session has ended, which the gateway must learn.
            exchange.refusal = head
            return
        }
        self.writeHead(head, length: length, exchange, context)
    }

    func body(_ chunk: ByteBuffer) -> UpstreamHandler.Demand {
        guard let (exchange, context) = self.relaying else { return .stop }
        if exchange.refusal != nil {
            exchange.refusalBody.writeImmutableBuffer(chunk)
            return .more
        }
        exchange.sent += chunk.readableBytes
        context.write(self.wrapOutboundOut(.body(chunk)), promise: nil)
        if exchange.streamed { context.flush() }
        guard context.channel.isWritable else {
            exchange.waitingForWritable = true
            return .pause
        }
        return .more
    }

    func end() {
        guard let (exchange, context) = self.relaying else { return }
        if let refusal = exchange.refusal {
            if APIProxy.saysSessionEnded(exchange.refusalBody) { self.forget(exchange.plan.cookieID) }
            self.writeHead(refusal, length: exchange.refusalBody.readableBytes, exchange, context)
            exchange.sent = exchange.refusalBody.readableBytes
            context.write(self.wrapOutboundOut(.body(exchange.refusalBody)), promise: nil)
        }
        // Logged as the answer is handed over, like the router's small answers: whoever reads
        // the answer finds its line written.
        exchange.plan.line.emit(status: exchange.status ?? 0, sent: exchange.sent)
        context.writeAndFlush(self.wrapOutboundOut(.end(nil)), promise: nil)
        self.finish(context)
    }

    func failed(_ error: any Error) {
        guard let (exchange, context) = self.relaying else { return }
        if let status = exchange.status {
            // Part of the answer is out: it cannot be replaced by another, only cut short.
            exchange.plan.line.emit(status: status, sent: exchange.sent)
            self.state = .closed
            context.close(promise: nil)
            return
        }
        if case UpstreamError.closed = error, exchange.reused, exchange.plan.method == .get {
            // The API closed a kept-alive connection as the request went out: a GET is safe
            // to send once more, on a new connection (as `UpstreamPool.send` does).
            return self.connect(exchange, context)
        }
        self.route.logger.warning("API unreachable", metadata: ["error": "\(error)", "request_id": "\(exchange.plan.requestID)"])
        let refusal = APIProxy.unreachable
        exchange.plan.state.error = refusal.description
        guard let (fields, body) = try? refusal.encoded() else { return }
        exchange.status = refusal.status.code
        exchange.sent = body.readableBytes
        exchange.plan.line.emit(status: refusal.status.code, sent: body.readableBytes)
        context.write(self.wrapOutboundOut(.head(HTTPResponse(status: refusal.status, headerFields: self.answerFields(fields, exchange, length: body.readableBytes)))), promise: nil)
        context.write(self.wrapOutboundOut(.body(body)), promise: nil)
        context.writeAndFlush(self.wrapOutboundOut(.end(nil)), promise: nil)
        self.finish(context)
    }

    private func writeHead(_ head: HTTPResponseHead, length: Int?, _ exchange: RelayExchange, _ context: ChannelHandlerContext) {
        let status = HTTPResponse.Status(code: Int(head.status.code), reasonPhrase: head.status.reasonPhrase)
        exchange.status = status.code
        exchange.streamed = length.map { $0 > UpstreamHandler.wholeLimit } ?? true
        let fields = self.answerFields(ProxyHeaders.inbound(from: head.headers), exchange, length: length)
        context.write(self.wrapOutboundOut(.head(HTTPResponse(status: status, headerFields: fields))), promise: nil)
        if exchange.streamed { context.flush() }
    }

    /// The API's answer headers as the router's proxy would send them on.
    private func answerFields(_ fields: HTTPFields, _ exchange: RelayExchange, length: Int?) -> HTTPFields {
        var fields = fields
        if let length { fields[.contentLength] = String(length) }
        fields[RequestID.header] = exchange.plan.requestID
        fields[.server] = self.route.serverName
        return fields
    }

    /// The API says this session has ended: the gateway forgets it at once, here in memory,
    /// and in Redis soon after, so the next page asks the browser to sign in.
    private func forget(_ cookieID: String) {
        let vault = self.route.vault
        vault.opened.forget(SessionVault.redisKey(cookieID))
        Task { try? await vault.delete(cookieID) }
    }

    /// The exchange is over: requests that waited are taken up, and reading resumes.
    private func finish(_ context: ChannelHandlerContext) {
        self.state = .idle
        let waiting = self.held
        self.held = []
        for part in waiting { self.take(part, context) }
        // Hummingbird's reader takes what it was given at the end of a read.
        if !waiting.isEmpty { context.fireChannelReadComplete() }
        if case .relaying = self.state { return }
        if let quiesce = self.quiesce {
            self.quiesce = nil
            context.fireUserInboundEventTriggered(quiesce)
        }
        if self.readPending {
            self.readPending = false
            context.read()
        }
    }

    // MARK: the browser's connection

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = self.unwrapOutboundIn(data), self.unanswered > 0 { self.unanswered -= 1 }
        context.write(data, promise: promise)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable, let (exchange, _) = self.relaying, exchange.waitingForWritable {
            exchange.waitingForWritable = false
            exchange.upstream?.resume(exchange: exchange.upstreamExchange)
        }
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        switch self.state {
        case .reading(let exchange), .relaying(let exchange):
            self.state = .closed
            // 499, as nginx logs it: the client closed the connection before the answer was out.
            exchange.plan.line.emit(status: 499, sent: exchange.sent)
            exchange.upstream?.abandon(exchange: exchange.upstreamExchange)
        default:
            self.state = .closed
        }
        self.held = []
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        switch (event, self.state) {
        case (is ChannelShouldQuiesceEvent, .reading), (is ChannelShouldQuiesceEvent, .relaying):
            // Hummingbird closes a connection it thinks idle; this one is not until the answer is out.
            self.quiesce = event
        default:
            context.fireUserInboundEventTriggered(event)
        }
    }
}

/// One relayed request, from its head to the end of its answer.
private final class RelayExchange {
    let plan: RelayRoute.Plan
    var body: ByteBuffer
    var upstream: UpstreamHandler?
    var upstreamExchange = 0
    var reused = false
    /// The answer's status once its head is written to the browser.
    var status: Int?
    var sent = 0
    /// Large or unsized answers are flushed chunk by chunk; small ones once, at their end.
    var streamed = false
    var waitingForWritable = false
    /// A 401 held until its body shows whether it ends the session.
    var refusal: HTTPResponseHead?
    var refusalBody = ByteBuffer()

    init(plan: RelayRoute.Plan) {
        self.plan = plan
        self.body = ByteBuffer()
        self.body.reserveCapacity(plan.bodyLength)
    }
}
