import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import Synchronization

/// Redis for async code: a few pipelined connections on NIO's event loops (`RedisConnection`),
/// shared by every caller.
///
/// A command is encoded once into a buffer and written on the least busy connection without
/// waiting for the replies before it; the caller waits on a continuation, never on a thread.
/// Connections are opened lazily, up to `maxConnections`, when every open one is busy (the
/// rules are in `RedisPool`). One that saw an I/O error, a protocol error or a timeout is
/// dropped, and the next caller opens a new one. When Redis restarts, a command that met a
/// dead connection is sent once more on a fresh one, so a restart costs no failed call
/// (which commands may be sent again is in `RedisRetry`). Each command waits at most
/// `timeout` for its reply; then it fails and its connection is dropped, as the replies
/// still to come on it would answer the wrong callers.
///
/// It is a `Service`: shutdown closes every connection and fails every caller still waiting,
/// at once, with `RedisError.closed`.
public final class RedisClient: Service, Sendable {
    let url: RedisURL
    let timeout: Duration
    let maxConnections: Int
    private let group: any EventLoopGroup
    private let state: Mutex<RedisPool>
    private let logger: Logger

    public init(url: RedisURL, timeout: Duration = .seconds(2), maxConnections: Int = 4,
                eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
                logger: Logger = Logger(label: "redis")) {
        self.url = url
        self.timeout = timeout
        self.maxConnections = max(1, maxConnections)
        self.group = eventLoopGroup
        self.state = Mutex(RedisPool(size: self.maxConnections))
        self.logger = logger
    }

    /// A client dropped without `run()` (a test's, a one-off) still closes its connections.
    deinit {
        let (_, connections) = self.state.withLock { $0.close() }
        connections.forEach { $0.close() }
    }

    /// Runs one command, e.g. `command("SET", key, value, "EX", "60")`.
    @discardableResult
    public func command(_ arguments: String...) async throws -> RedisValue {
        try await self.command(arguments.map { Array($0.utf8) })
    }

    /// Runs one command whose arguments are built at run time (e.g. `EVAL` with several keys).
    @discardableResult
    public func command(strings arguments: [String]) async throws -> RedisValue {
        try await self.command(arguments.map { Array($0.utf8) })
    }

    /// Runs one command with binary-safe arguments. Throws `RedisError`: `.server` for Redis'
    /// error replies, `.connection` when Redis cannot be reached or gave no reply in time,
    /// `.closed` after shutdown.
    @discardableResult
    public func command(_ arguments: [[UInt8]]) async throws -> RedisValue {
        let command = RESPEncoder.encode(arguments)
        let connection = try await self.connection(newerThan: 0)
        switch await connection.send(command) {
        case .success(let reply):
            return try reply.get()
        case .failure(let failure):
            guard RedisRetry.allows(failure, for: arguments) else { throw failure.error }
            self.logger.debug("redis connection lost, retrying once", metadata: ["error": "\(failure.error)"])
            let fresh = try await self.connection(newerThan: self.state.withLock { $0.newest })
            return try await fresh.send(command).mapError(\.error).get().get()
        }
    }

    /// Waits for graceful shutdown, then closes every connection and fails waiters.
    public func run() async throws {
        try? await gracefulShutdown()
        let (waiters, connections) = self.state.withLock { $0.close() }
        waiters.forEach { $0.resume(returning: .failure(.closed)) }
        connections.forEach { $0.close() }
    }

    // MARK: pool mechanics

    /// A connection to send on: the pool's choice now, else (a connection is being opened)
    /// after waiting for it. The wait is joined under the same lock that found nothing ready.
    private func connection(newerThan floor: UInt64) async throws(RedisError) -> RedisConnection {
        let lease: RedisPool.Lease
        let local = self.group.any().inEventLoop
        if let now = try self.state.withLock({ pool throws(RedisError) in try pool.lease(newerThan: floor, waiter: nil, local: local) }) {
            lease = now
        } else {
            lease = try await withCheckedContinuation { (waiter: RedisPool.Waiter) in
                let now = self.state.withLock { pool in Result { () throws(RedisError) in try pool.lease(newerThan: floor, waiter: waiter, local: local) } }
                switch now {
                case .success(let lease?): waiter.resume(returning: .success(lease))
                case .success(nil): break
                case .failure(let error): waiter.resume(returning: .failure(error))
                }
            }.get()
        }
        switch lease {
        case .use(let connection): return connection
        case .open(let slot, let id): return try await self.open(slot: slot, id: id)
        }
    }

    /// Opens the connection for `slot` and hands it to the callers that waited for it; on
    /// failure they all get the same error, and the slot is free for the next caller to try.
    private func open(slot: Int, id: UInt64) async throws(RedisError) -> RedisConnection {
        let connection: RedisConnection
        do throws(RedisError) {
            connection = try await RedisConnection.open(to: self.url, timeout: self.timeout, group: self.group, id: id)
            guard self.state.withLock({ $0.connected(connection, slot: slot) }) else {
                connection.close()
                throw RedisError.closed
            }
            // Shutdown from here on closes the connection, which ends `prepare` with `.closed`.
            try await connection.prepare(self.url)
        } catch {
            let waiters = self.state.withLock { $0.failedToOpen(slot: slot, id: id) }
            waiters.forEach { $0.resume(returning: .failure(error)) }
            throw error
        }
        guard let waiters = self.state.withLock({ $0.opened(connection, slot: slot) }) else {
            connection.close()
            throw .closed
        }
        waiters.forEach { $0.resume(returning: .success(.use(connection))) }
        return connection
    }
}
