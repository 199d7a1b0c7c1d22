import NIOCore

/// The commands in flight on one connection, in the order they were written: each reply
/// answers the oldest, as Redis replies in order. Runs on the connection's event loop only.
///
/// Every caller's continuation is held in `pending` from the moment its command is written and
/// is resumed exactly once, by whichever comes first: its reply, its timeout, or the end of the
/// connection (`end`), which empties the queue. A command that arrives after the end is failed
/// at once, unsent. So no path leaves a caller waiting: a reply after the end has no one to
/// answer, and nothing is queued after it.
final class RedisCommandHandler: ChannelInboundHandler {
    typealias InboundIn = RESPReply
    typealias OutboundOut = ByteBuffer
    typealias Continuation = CheckedContinuation<Result<RESPReply, RedisSendFailure>, Never>

    private struct Pending {
        let continuation: Continuation
        let deadline: NIODeadline
    }

    /// Why the connection ended; set once.
    private enum End {
        case broken(String)
        case timedOut
        case shutdown
    }

    private let peer: String
    private let timeout: TimeAmount
    private let gauge: RedisConnection.Gauge
    private var context: ChannelHandlerContext?
    private var pending = CircularBuffer<Pending>(initialCapacity: 16)
    /// The last `unflushed` entries of `pending` are written but not flushed: if the connection
    /// ends now they were never sent.
    private var unflushed = 0
    private var flushScheduled = false
    /// Armed at the oldest command's deadline while any command waits.
    private var timer: Scheduled<Void>?
    private var ended: End?
    /// The first error seen, which is what broke the connection.
    private var cause: String?

    init(peer: String, timeout: TimeAmount, gauge: RedisConnection.Gauge) {
        self.peer = peer
        self.timeout = timeout
        self.gauge = gauge
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.end(.broken(self.cause ?? "connection closed"))
        self.context = nil
    }

    /// Writes one encoded command and queues its caller for the reply.
    ///
    /// The flush is left to the end of the event loop's current round of tasks, so commands
    /// that concurrent callers handed over together leave in one write.
    func send(_ command: ByteBuffer, _ continuation: Continuation) {
        guard self.ended == nil, let context else {
            continuation.resume(returning: .failure(.notSent(.connection("\(self.peer): \(self.cause ?? "connection closed")"))))
            return
        }
        self.pending.append(Pending(continuation: continuation, deadline: .now() + self.timeout))
        self.unflushed += 1
        context.write(self.wrapOutboundOut(command), promise: nil)
        if !self.flushScheduled {
            self.flushScheduled = true
            context.eventLoop.assumeIsolated().execute { self.flush() }
        }
        self.armTimer()
    }

    /// Ends the connection for shutdown: every queued caller is told the client closed.
    func shutdown() {
        self.end(.shutdown)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let reply = self.unwrapInboundIn(data)
        guard self.pending.count > self.unflushed, let oldest = self.pending.popFirst() else {
            // A reply nobody asked for: the stream no longer lines up with the queue.
            self.cause = self.cause ?? "a reply came for no command"
            self.end(.broken(self.cause ?? ""))
            return
        }
        oldest.continuation.resume(returning: .success(reply))
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.end(.broken(self.cause ?? "closed by the server"))
        context.fireChannelInactive()
    }

    /// An I/O or protocol error: later replies cannot be trusted, so the connection goes.
    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.cause = self.cause ?? "\(error)"
        self.end(.broken(self.cause ?? ""))
    }

    private func flush() {
        self.flushScheduled = false
        guard self.ended == nil, let context = self.context else { return }
        self.unflushed = 0
        context.flush()
    }

    private func armTimer() {
        guard self.timer == nil, let oldest = self.pending.first, let context else { return }
        self.timer = context.eventLoop.assumeIsolated().scheduleTask(deadline: oldest.deadline) { self.timerFired() }
    }

    /// Replies come in order, so only the oldest command can be late; a timer set for one
    /// already answered moves on to the next.
    private func timerFired() {
        self.timer = nil
        guard let oldest = self.pending.first, self.ended == nil else { return }
        if oldest.deadline > .now() { return self.armTimer() }
        self.end(.timedOut)
    }

    /// Marks the connection closed for the pool, fails every queued caller once, and closes
    /// the channel. Only the first call does anything.
    private func end(_ reason: End) {
        guard self.ended == nil else { return }
        self.ended = reason
        // Before any caller hears of it: one that retries must not be handed this connection.
        self.gauge.markClosed()
        self.timer?.cancel()
        self.timer = nil
        let sent = self.pending.count - self.unflushed
        var index = 0
        while let entry = self.pending.popFirst() {
            entry.continuation.resume(returning: .failure(self.failure(reason, index: index, sent: index < sent)))
            index += 1
        }
        self.unflushed = 0
        self.context?.close(promise: nil)
    }

    private func failure(_ reason: End, index: Int, sent: Bool) -> RedisSendFailure {
        switch reason {
        case .shutdown:
            return .closed
        case .timedOut where index == 0:
            let seconds = Double(self.timeout.nanoseconds) / 1e9
            return .timedOut(.connection("\(self.peer): no reply within \(seconds) s (timeout); connection dropped"))
        case .timedOut:
            let error = RedisError.connection("\(self.peer): connection dropped after an earlier command timed out")
            return sent ? .lost(error) : .notSent(error)
        case .broken(let why):
            let error = RedisError.connection("\(self.peer): \(why)")
            return sent ? .lost(error) : .notSent(error)
        }
    }
}
