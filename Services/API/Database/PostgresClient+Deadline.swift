import Hummingbird
import Logging
import OrcastraRuntime
import PostgresNIO

/// PostgreSQL down or out of connections is a 503 within a few seconds, not a request that
/// hangs.
///
/// postgres-nio's pool keeps a request waiting for a connection while it retries connecting,
/// and only fails waiting requests once connecting has failed for a minute (its circuit
/// breaker, not configurable through `PostgresClient`). So every database call of the API
/// waits at most `leaseLimit` for its connection (`transaction`) or for its query to start
/// (`boundedQuery`), then answers `DatabaseUnavailable`. Nothing is half-written: a
/// transaction that never got its connection never began, and one that began commits or rolls
/// back as before. When PostgreSQL is back the pool reconnects by itself.
extension PostgresClient {
    /// How long a call waits for PostgreSQL before it gives up.
    static let leaseLimit: Duration = .seconds(5)

    /// `query`, failing with `DatabaseUnavailable` when its rows have not started within
    /// `leaseLimit` (the connection's wait included). The rows are read as they come, after.
    ///
    /// The query is not waited for once the limit has passed (`Abandoning`): postgres-nio
    /// loses a query written to a connection that closed a moment before (PostgreSQL stopping
    /// as it was leased), which then neither answers nor heeds cancellation, and a task group
    /// would wait for it forever (seen in the fault drill, about one restart in three). The
    /// abandoned query keeps its connection's lease, so after one the pool's graceful shutdown
    /// waits for it and the process is stopped by its supervisor's kill.
    @discardableResult
    func boundedQuery(_ query: PostgresQuery, logger: Logger) async throws -> PostgresRowSequence {
        try await Abandoning.run(after: Self.leaseLimit, orFail: DatabaseUnavailable()) {
            try await self.query(query, logger: logger)
        }
    }

    /// `body` on a connection leased within `leaseLimit`, or `DatabaseUnavailable`.
    ///
    /// The lease is taken by a child task, which hands the connection over and holds the
    /// lease until `body` has finished in the caller's own task (so `body` need not be
    /// `Sendable`); the timer is a second child. A lease that fails ends the wait at once.
    func withBoundedConnection<Result: Sendable>(_ body: (PostgresConnection) async throws -> Result) async throws -> Result {
        let (handover, offer) = AsyncStream<PostgresConnection>.makeStream()
        let (finished, finish) = AsyncStream<Void>.makeStream()
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                defer { offer.finish() }
                try await self.withConnection { connection in
                    // One that closed while idle in the pool would lose the queries written
                    // to it (see `boundedQuery`): none is better, a 503 at once.
                    guard !connection.isClosed else { throw DatabaseUnavailable() }
                    offer.yield(connection)
                    offer.finish()
                    for await _ in finished {}
                }
            }
            group.addTask {
                try await Task.sleep(for: Self.leaseLimit)
                offer.finish()
            }
            defer {
                finish.finish()
                group.cancelAll()
            }
            var connections = handover.makeAsyncIterator()
            guard let connection = await connections.next() else { throw DatabaseUnavailable() }
            return try await body(connection)
        }
    }
}

/// PostgreSQL did not give a connection or an answer in time.
struct DatabaseUnavailable: APIErrorConvertible, CustomStringConvertible {
    var description: String { "PostgreSQL did not answer within \(PostgresClient.leaseLimit)" }

    var apiError: APIError {
        APIError(.serviceUnavailable, code: "database_unavailable",
                 message: "PostgreSQL, where Orcastra keeps its state, is not answering; try again in a few seconds.",
                 headers: [.retryAfter: "5"])
    }
}
