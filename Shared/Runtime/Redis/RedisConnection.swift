import NIOCore
import NIOPosix
import Synchronization

/// One TCP connection to Redis, shared by every caller the pool sends to it: each command is
/// written as soon as it comes, without waiting for earlier replies (pipelining), and the
/// replies, which Redis sends in the same order, answer the callers first come first served
/// (`RedisCommandHandler`).
///
/// A caller waits on a continuation, not a thread: nothing blocks while Redis answers.
/// Waiting ignores task cancellation; the command's timeout bounds it instead.
final class RedisConnection: Sendable {
    /// Opening order: a retry asks for a connection newer than the one that failed.
    let id: UInt64
    let gauge: Gauge
    private let handler: NIOLoopBound<RedisCommandHandler>

    /// What the pool reads without a lock to choose a connection.
    final class Gauge: Sendable {
        private let open = Atomic<Bool>(true)
        private let callers = Atomic<Int>(0)

        /// False from the moment the connection broke or was closed; the pool then drops it.
        var isOpen: Bool { self.open.load(ordering: .acquiring) }
        func markClosed() { self.open.store(false, ordering: .releasing) }

        /// Callers with a command on this connection, for choosing the least busy one.
        var load: Int { self.callers.load(ordering: .relaxed) }
        func enter() { self.callers.add(1, ordering: .relaxed) }
        func leave() { self.callers.subtract(1, ordering: .relaxed) }
    }

    private init(id: UInt64, gauge: Gauge, handler: NIOLoopBound<RedisCommandHandler>) {
        self.id = id
        self.gauge = gauge
        self.handler = handler
    }

    /// Opens the TCP connection within `timeout`; `prepare` then makes it ready for commands.
    static func open(to url: RedisURL, timeout: Duration, group: any EventLoopGroup, id: UInt64) async throws(RedisError) -> RedisConnection {
        let peer = "\(url.host):\(url.port)"
        let gauge = Gauge()
        let wait = TimeAmount(timeout)
        let handler: NIOLoopBound<RedisCommandHandler>
        do {
            // `any()`: the caller's own loop when it runs on one of the group's (`RedisPool`).
            handler = try await ClientBootstrap(group: group.any())
                .connectTimeout(wait)
                .channelOption(.tcpOption(.tcp_nodelay), value: 1)
                .connect(host: url.host, port: url.port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let handler = RedisCommandHandler(peer: peer, timeout: wait, gauge: gauge)
                        try channel.pipeline.syncOperations.addHandlers([ByteToMessageHandler(RESPDecoder()), handler])
                        return NIOLoopBound(handler, eventLoop: channel.eventLoop)
                    }
                }
        } catch {
            throw .connection("\(peer): \(Self.describe(error))")
        }
        return RedisConnection(id: id, gauge: gauge, handler: handler)
    }

    /// Sends AUTH (when the URL has a password) and SELECT (when it names a database other
    /// than 0) and waits for their replies before any caller's command: one written behind a
    /// refused AUTH could run unauthenticated on a server that needs no password, and would
    /// have been reported as failed. On failure the connection is closed.
    func prepare(_ url: RedisURL) async throws(RedisError) {
        for command in Self.handshake(url) {
            switch await self.send(RESPEncoder.encode(command)) {
            case .success(.value):
                continue
            case .success(.error(let message)):
                self.close()
                throw .server(message)
            case .failure(let failure):
                self.close()
                throw failure.error
            }
        }
    }

    /// What a new connection sends first: AUTH when the URL has a password, SELECT when it
    /// names a database other than 0.
    static func handshake(_ url: RedisURL) -> [[[UInt8]]] {
        var commands: [[[UInt8]]] = []
        if let password = url.password { commands.append([Array("AUTH".utf8), Array(password.utf8)]) }
        if url.database != 0 { commands.append([Array("SELECT".utf8), Array(String(url.database).utf8)]) }
        return commands
    }

    var isOpen: Bool { self.gauge.isOpen }

    /// Whether the calling thread is this connection's event loop.
    var onCurrentLoop: Bool { self.handler.eventLoop.inEventLoop }

    /// Sends one encoded command and waits for its reply or for why there is none.
    func send(_ command: ByteBuffer) async -> Result<RESPReply, RedisSendFailure> {
        self.gauge.enter()
        defer { self.gauge.leave() }
        let handler = self.handler
        return await withCheckedContinuation { continuation in
            // The loop is the shared NIO group's, which lives as long as the process, so the
            // task runs and the handler resumes the continuation on every path.
            if handler.eventLoop.inEventLoop {
                handler.value.send(command, continuation)
            } else {
                handler.eventLoop.execute { handler.value.send(command, continuation) }
            }
        }
    }

    /// Closes the connection; callers still waiting on it are told the client closed.
    func close() {
        let handler = self.handler
        handler.eventLoop.execute { handler.value.shutdown() }
    }

    /// NIO's connect errors, reduced to the reason (refused, timed out, unknown host).
    private static func describe(_ error: any Error) -> String {
        if let error = error as? NIOConnectionError {
            if let first = error.connectionErrors.first { return "\(first.error)" }
            if let dns = error.dnsAError ?? error.dnsAAAAError { return "could not resolve the host (\(dns))" }
        }
        if case ChannelError.connectTimeout = error { return "connect timed out" }
        return "\(error)"
    }
}
