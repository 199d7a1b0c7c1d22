import Logging
import NIOPosix
import ServiceLifecycle
import Synchronization

/// A small pool of hiredis connections, used from async code.
///
/// hiredis is blocking, so every call runs on NIO's blocking thread pool and never on an event
/// loop. Connections are opened lazily up to `maxConnections`; one that saw an I/O error is
/// dropped, and when a reused connection fails (Redis restarted) the idle ones are dropped too
/// and the command is tried once more on a fresh connection, so a restart costs no failed call.
/// It is a `Service` so that shutdown closes every connection.
public final class RedisClient: Service, Sendable {
    let url: RedisURL
    let timeout: Duration
    let maxConnections: Int
    private let state = Mutex(PoolState())
    private let threadPool: NIOThreadPool
    private let logger: Logger

    /// What a caller gets from the pool: a connection, or the right to open one.
    enum Lease: Sendable {
        case connection(RedisConnection)
        case open
    }

    struct PoolState: ~Copyable {
        var idle: [RedisConnection] = []
        var opened = 0
        var waiters: [CheckedContinuation<Lease, any Error>] = []
        var closed = false
    }

    public init(url: RedisURL, timeout: Duration = .seconds(2), maxConnections: Int = 8,
                threadPool: NIOThreadPool = .singleton, logger: Logger = Logger(label: "redis")) {
        self.url = url
        self.timeout = timeout
        self.maxConnections = maxConnections
        self.threadPool = threadPool
        self.logger = logger
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

    /// Runs one command with binary-safe arguments.
    @discardableResult
    public func command(_ arguments: [[UInt8]]) async throws -> RedisValue {
        let lease = try await self.acquire()
        var reused = false
        var connection: RedisConnection
        switch lease {
        case .connection(let c):
            connection = c
            reused = true
        case .open:
            connection = try await self.open()
        }
        do {
            let reply = try await self.run(arguments, on: connection)
            self.release(connection)
            return reply
        } catch RedisError.connection(let message) where reused {
            self.discard(connection, dropIdle: true)
            self.logger.debug("redis connection lost, retrying once", metadata: ["error": "\(message)"])
            connection = try await self.open(counted: false)
            do {
                let reply = try await self.run(arguments, on: connection)
                self.release(connection)
                return reply
            } catch {
                self.releaseOrDiscard(connection)
                throw error
            }
        } catch {
            self.releaseOrDiscard(connection)
            throw error
        }
    }

    /// Waits for graceful shutdown, then closes every connection and fails waiters.
    public func run() async throws {
        try? await gracefulShutdown()
        let waiters = self.state.withLock { s -> [CheckedContinuation<Lease, any Error>] in
            s.closed = true
            s.idle.removeAll()
            defer { s.waiters.removeAll() }
            return s.waiters
        }
        waiters.forEach { $0.resume(throwing: RedisError.closed) }
    }

    // MARK: pool mechanics

    /// A connection, a slot to open one in, or a place in the queue. The queue is joined under
    /// the same lock that found nothing free: deciding to wait and enqueueing in two steps let a
    /// connection come back in between, unseen, and the waiter then slept until some later
    /// release that, once the load stopped, never came (a lost wake-up: every task suspended,
    /// nothing blocked).
    private func acquire() async throws -> Lease {
        if let lease = try self.state.withLock({ s in try Self.take(&s, max: self.maxConnections) }) { return lease }
        return try await withCheckedThrowingContinuation { continuation in
            let result = Result { try self.state.withLock { s -> Lease? in
                if let lease = try Self.take(&s, max: self.maxConnections) { return lease }
                s.waiters.append(continuation)
                return nil
            } }
            switch result {
            case .success(let lease?): continuation.resume(returning: lease)
            case .success(nil): break
            case .failure(let error): continuation.resume(throwing: error)
            }
        }
    }

    /// What `acquire` gets without waiting, taken from `s`: an idle connection, else a slot
    /// while fewer than `max` are open; nil when it must wait.
    private static func take(_ s: inout PoolState, max: Int) throws(RedisError) -> Lease? {
        if s.closed { throw .closed }
        if let c = s.idle.popLast() { return .connection(c) }
        if s.opened < max {
            s.opened += 1
            return .open
        }
        return nil
    }

    /// Opens a connection in a slot already counted by `acquire` (or, for the retry, the slot
    /// freed by the discarded connection). A failure gives the slot back.
    private func open(counted: Bool = true) async throws -> RedisConnection {
        if !counted { self.state.withLock { $0.opened += 1 } }
        let url = self.url
        let timeout = self.timeout
        do {
            return try await self.threadPool.runIfActive { try RedisConnection(url: url, timeout: timeout) }
        } catch {
            self.freeSlot()
            throw error
        }
    }

    private func run(_ arguments: [[UInt8]], on connection: RedisConnection) async throws -> RedisValue {
        try await self.threadPool.runIfActive { try connection.send(arguments) }
    }

    private func release(_ connection: RedisConnection) {
        let waiter = self.state.withLock { s -> CheckedContinuation<Lease, any Error>? in
            if s.closed {
                s.opened -= 1
                return nil
            }
            if !s.waiters.isEmpty { return s.waiters.removeFirst() }
            s.idle.append(connection)
            return nil
        }
        waiter?.resume(returning: .connection(connection))
    }

    private func releaseOrDiscard(_ connection: RedisConnection) {
        if connection.broken { self.discard(connection, dropIdle: false) } else { self.release(connection) }
    }

    private func discard(_ connection: RedisConnection, dropIdle: Bool) {
        if dropIdle {
            self.state.withLock { s in
                s.opened -= s.idle.count
                s.idle.removeAll()
            }
        }
        self.freeSlot()
    }

    private func freeSlot() {
        let waiter = self.state.withLock { s -> CheckedContinuation<Lease, any Error>? in
            if !s.closed, !s.waiters.isEmpty { return s.waiters.removeFirst() }
            s.opened -= 1
            return nil
        }
        waiter?.resume(returning: .open)
    }
}
