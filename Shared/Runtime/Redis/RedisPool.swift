/// The pool's bookkeeping, kept under `RedisClient`'s lock: a fixed number of slots, each
/// empty, opening a connection (with the callers waiting for it), or holding an open one.
///
/// A caller takes the least busy connection: an idle one at once; else, while a slot is free,
/// it opens a new one; else it shares (pipelines on) the least busy. A caller running on an
/// event loop (`local`) counts a connection on another loop as a little busier, and opens one
/// on its own loop while a slot is free: a command and its reply then stay on the caller's
/// thread instead of waking the other loop twice. Callers only ever wait for
/// a connection being opened, and they join that wait under the same lock that saw the
/// opening, so the end of the opening cannot slip by unseen (a lost wake-up).
struct RedisPool: ~Copyable {
    typealias Waiter = CheckedContinuation<Result<Lease, RedisError>, Never>

    /// What a caller gets: a connection, or a slot to open one in under the given id.
    enum Lease: Sendable {
        case use(RedisConnection)
        case open(slot: Int, id: UInt64)
    }

    enum Slot {
        case empty
        /// `connection` is set once the TCP connection exists and AUTH/SELECT are on their
        /// way, so that shutdown can close it too.
        case opening(id: UInt64, waiters: [Waiter], connection: RedisConnection?)
        case ready(RedisConnection)
    }

    private(set) var slots: [Slot]
    private(set) var closed = false
    private var nextID: UInt64 = 1

    /// The id of the connection opened last. A retry asks for one newer than this: every
    /// connection open when a command failed may have been broken by the same cause (Redis
    /// restarted, or `CLIENT KILL` closed them all) before its own close has been read.
    var newest: UInt64 { self.nextID - 1 }

    init(size: Int) {
        self.slots = Array(repeating: .empty, count: max(1, size))
    }

    /// A lease when one is available now; otherwise nil, and `waiter` (if given) has joined the
    /// opening it must wait for. A retry passes `newerThan` (`newest` when its command failed)
    /// and takes only a connection opened after that, when a slot is free to open one.
    mutating func lease(newerThan floor: UInt64, waiter: Waiter?, local: Bool = false) throws(RedisError) -> Lease? {
        if self.closed { throw .closed }
        // Twice the commands in flight, plus one when the connection is on another loop than
        // a caller that runs on one: 0 only for an idle connection on the caller's loop.
        var best: (slot: Int, load: Int)?
        var free: Int?
        for index in self.slots.indices {
            let load: Int
            switch self.slots[index] {
            case .empty:
                free = free ?? index
                continue
            case .ready(let connection) where !connection.isOpen:
                // It broke; the handler has already failed its callers and closed it.
                self.slots[index] = .empty
                free = free ?? index
                continue
            case .ready(let connection):
                guard connection.id > floor else { continue }
                load = connection.gauge.load * 2 + (local && !connection.onCurrentLoop ? 1 : 0)
            case .opening(let id, let waiters, _):
                guard id > floor else { continue }
                load = (waiters.count + 1) * 2 + (local ? 1 : 0)
            }
            if best.map({ load < $0.load }) ?? true { best = (index, load) }
        }
        if let free, best.map({ $0.load > 0 }) ?? true {
            let id = self.nextID
            self.nextID += 1
            self.slots[free] = .opening(id: id, waiters: [], connection: nil)
            return .open(slot: free, id: id)
        }
        // Every slot holds a connection older than `floor` that has seen no close: the failure
        // was most likely that connection's alone (a timeout), so the others are used.
        guard let best else { return try self.lease(newerThan: 0, waiter: waiter, local: local) }
        switch self.slots[best.slot] {
        case .ready(let connection):
            return .use(connection)
        case .opening(let id, var waiters, let connection):
            guard let waiter else { return nil }
            waiters.append(waiter)
            self.slots[best.slot] = .opening(id: id, waiters: waiters, connection: connection)
            return nil
        case .empty:
            return nil
        }
    }

    /// The opening in `slot` has its TCP connection: it is kept there while AUTH and SELECT
    /// run, for shutdown to close. False when the client closed meanwhile (the caller closes
    /// the connection).
    mutating func connected(_ connection: RedisConnection, slot: Int) -> Bool {
        guard !self.closed, case .opening(let id, let waiters, nil) = self.slots[slot], id == connection.id else { return false }
        self.slots[slot] = .opening(id: id, waiters: waiters, connection: connection)
        return true
    }

    /// The opening in `slot` is ready: the connection takes the slot, and its waiters are
    /// returned to be resumed with it. Nil when the client closed meanwhile (shutdown has
    /// closed the connection and failed the waiters).
    mutating func opened(_ connection: RedisConnection, slot: Int) -> [Waiter]? {
        guard !self.closed, case .opening(let id, let waiters, _) = self.slots[slot], id == connection.id else { return nil }
        self.slots[slot] = .ready(connection)
        return waiters
    }

    /// The opening in `slot` failed: the slot is free again, and its waiters are returned to
    /// be told why.
    mutating func failedToOpen(slot: Int, id: UInt64) -> [Waiter] {
        guard case .opening(let current, let waiters, _) = self.slots[slot], current == id else { return [] }
        self.slots[slot] = .empty
        return waiters
    }

    /// Closes the pool: every waiter and every connection (open or still in AUTH/SELECT), to be
    /// failed and closed. Openings under way keep their slot, so that `connected` and `opened`
    /// see it and refuse.
    mutating func close() -> (waiters: [Waiter], connections: [RedisConnection]) {
        self.closed = true
        var waiters: [Waiter] = []
        var connections: [RedisConnection] = []
        for index in self.slots.indices {
            switch self.slots[index] {
            case .empty:
                break
            case .opening(let id, let queued, let connection):
                waiters += queued
                connections += connection.map { [$0] } ?? []
                self.slots[index] = .opening(id: id, waiters: [], connection: nil)
            case .ready(let connection):
                connections.append(connection)
                self.slots[index] = .empty
            }
        }
        return (waiters, connections)
    }
}
