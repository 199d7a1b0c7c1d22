import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import OrcastraRuntime
import ServiceLifecycle
import Synchronization

/// Kept-alive HTTP/1.1 connections from the gateway to the API, one exchange at a time each,
/// for the proxy's hot path (`UpstreamHandler` says why this is not AsyncHTTPClient).
///
/// A request takes the most recently returned idle connection, or opens a new one: requests in
/// flight are not capped here (the API applies its own limits), only the connections kept idle
/// between them (`keepIdle`, `API_CONNECTIONS`). A connection comes back on its own when its
/// exchange ends cleanly; one that failed, was cut short or was told `Connection: close` is
/// closed instead.
final class UpstreamPool: Service, Sendable {
    /// Where the API listens, from `INTERNAL_BACKEND_URL`.
    struct Endpoint: Sendable, Equatable {
        var host: String
        var port: Int
        var tls: Bool
        /// A path the URL carries before `/api/v1/…` (usually empty).
        var basePath: String

        init?(url: String) {
            guard let parts = URLParts(url), parts.scheme == "http" || parts.scheme == "https", !parts.host.isEmpty else { return nil }
            self.tls = parts.scheme == "https"
            self.host = parts.host
            self.port = parts.port ?? (self.tls ? 443 : 80)
            self.basePath = parts.path.hasSuffix("/") ? String(parts.path.dropLast()) : parts.path
        }

        /// The `Host` header: the port only when it is not the scheme's own.
        var authority: String {
            let host = self.host.contains(":") ? "[\(self.host)]" : self.host
            return self.port == (self.tls ? 443 : 80) ? host : "\(host):\(self.port)"
        }
    }

    let endpoint: Endpoint
    let keepIdle: Int
    let connectTimeout: TimeAmount
    private let tls: NIOSSLContext?
    private let state = Mutex<(idle: [UpstreamConnection], open: Bool)>(([], true))

    init(endpoint: Endpoint, keepIdle: Int, connectTimeout: TimeAmount = .seconds(3)) throws {
        self.endpoint = endpoint
        self.keepIdle = keepIdle
        self.connectTimeout = connectTimeout
        self.tls = endpoint.tls ? try NIOSSLContext(configuration: .makeClientConfiguration()) : nil
    }

    /// What a request sends besides its head.
    enum Body: Sendable {
        case none
        /// In hand: sent with the head in one write.
        case whole(ByteBuffer)
        /// Still arriving from the browser: streamed on as it comes.
        case stream(any AsyncSequence<ByteBuffer, any Error> & Sendable)
    }

    /// Sends one request to the API and returns its answer.
    ///
    /// A kept-alive connection the API closed just as the request went out fails before any
    /// answer; a request that is safe to repeat (GET, HEAD, OPTIONS with its body in hand) is
    /// then sent once more on a new connection. Anything else reports the failure: the API may
    /// have acted on it.
    func send(_ head: HTTPRequestHead, body: Body, idleTimeout: TimeAmount) async throws -> UpstreamResponse {
        let (connection, reused) = try await self.lease()
        do {
            return try await connection.send(head, body: body, idleTimeout: idleTimeout)
        } catch UpstreamError.closed where reused && Self.repeatable(head.method, body) {
            return try await self.connect().send(head, body: body, idleTimeout: idleTimeout)
        }
    }

    private static func repeatable(_ method: HTTPMethod, _ body: Body) -> Bool {
        if case .stream = body { return false }
        return method == .GET || method == .HEAD || method == .OPTIONS
    }

    /// An idle connection, preferring one on the event loop this task runs on: the request's
    /// task runs on an event loop (`Startup.runTasksOnEventLoops`), and a connection on the
    /// same loop is written and read without waking the other thread.
    private func lease() async throws -> (UpstreamConnection, reused: Bool) {
        if let idle = self.takeIdle(on: nil) { return (idle, true) }
        return (try await self.connect(), false)
    }

    /// An idle connection on `loop` (the direct relay's, which reads and writes both sides on
    /// its own loop), or nil when none is kept there.
    func idleConnection(on loop: any EventLoop) -> UpstreamConnection? {
        self.takeIdle(on: loop)
    }

    /// An idle connection still open (closed ones met on the way are dropped): with `loop`, only
    /// one on it; without, one on the calling thread's loop if any, else the most recently returned.
    private func takeIdle(on loop: (any EventLoop)?) -> UpstreamConnection? {
        while let idle = self.removeIdle(on: loop) {
            if idle.channel.isActive { return idle }
            idle.channel.close(promise: nil)
        }
        return nil
    }

    private func removeIdle(on loop: (any EventLoop)?) -> UpstreamConnection? {
        self.state.withLock { state -> UpstreamConnection? in
            if let loop {
                return state.idle.lastIndex { $0.channel.eventLoop === loop }.map { state.idle.remove(at: $0) }
            }
            guard !state.idle.isEmpty else { return nil }
            let local = state.idle.lastIndex { $0.channel.eventLoop.inEventLoop } ?? state.idle.index(before: state.idle.endIndex)
            return state.idle.remove(at: local)
        }
    }

    /// Takes back a connection whose exchange ended cleanly, or closes it when enough are idle.
    private func putBack(_ connection: UpstreamConnection) {
        let kept = self.state.withLock { state in
            guard state.open, state.idle.count < self.keepIdle else { return false }
            state.idle.append(connection)
            return true
        }
        if !kept { connection.channel.close(promise: nil) }
    }

    private func connect() async throws -> UpstreamConnection {
        // `any()` is the loop this task runs on, when it runs on one.
        try await self.connect(on: MultiThreadedEventLoopGroup.singleton.any()).get()
    }

    /// Opens a new connection on `loop`.
    func connect(on loop: any EventLoop) -> EventLoopFuture<UpstreamConnection> {
        guard self.state.withLock({ $0.open }) else { return loop.makeFailedFuture(UpstreamError.closed) }
        let (endpoint, tls) = (self.endpoint, self.tls)
        return ClientBootstrap(group: loop)
            .connectTimeout(self.connectTimeout)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    if let tls {
                        // SNI names a host, never an address.
                        let name = IPAddress(endpoint.host) == nil ? endpoint.host : nil
                        try pipeline.addHandler(try NIOSSLClientHandler(context: tls, serverHostname: name))
                    }
                    try pipeline.addHTTPClientHandlers()
                    try pipeline.addHandler(UpstreamHandler { [weak self] in self?.putBack($0) })
                }
            }
            .connect(host: endpoint.host, port: endpoint.port)
            .flatMapThrowing { channel in
                let handler = try channel.pipeline.syncOperations.handler(type: UpstreamHandler.self)
                return UpstreamConnection(channel: channel, handler: NIOLoopBound(handler, eventLoop: channel.eventLoop))
            }
    }

    /// Closes the idle connections at shutdown; connections in use close when their exchange ends.
    func run() async throws {
        try? await gracefulShutdown()
        let idle = self.state.withLock { state in
            state.open = false
            defer { state.idle = [] }
            return state.idle
        }
        for connection in idle { try? await connection.channel.close() }
    }
}
