import Hummingbird
import Logging
import OrcastraRuntime
import PostgresNIO

/// PostgreSQL down, out of connections or losing a query is a 503 within a few seconds, not a
/// request that hangs.
///
/// postgres-nio's pool keeps a request waiting for a connection while it retries connecting,
/// and only fails waiting requests once connecting has failed for a minute (its circuit
/// breaker, not configurable through `PostgresClient`). So every database call of the API
/// waits at most `leaseLimit` for its connection, and each query at most as long again
/// (`PostgresConnection.boundedQuery`), then answers `DatabaseUnavailable`. Nothing is
/// half-written: a transaction that never got its connection never began, and one whose query
/// failed rolls back (`transaction`). When PostgreSQL is back the pool reconnects by itself.
extension PostgresClient {
    /// How long a call waits for a connection, and a query for its rows.
    static let leaseLimit: Duration = .seconds(5)

    /// `query` on a connection of its own, its rows read whole, each step bounded as above.
    /// The lease ends with the query or its limit, so a query lost with its connection holds
    /// no lease of the pool.
    @discardableResult
    func boundedQuery(_ query: PostgresQuery, logger: Logger) async throws -> QueryRows {
        try await self.withBoundedConnection { connection in
            try await connection.boundedQuery(query, within: Self.leaseLimit, logger: logger)
        }
    }

    /// `body` on an open connection leased within `leaseLimit`, or `DatabaseUnavailable`.
    ///
    /// The lease is taken by a child task, which hands the connection over and holds the
    /// lease until `body` has finished in the caller's own task (so `body` need not be
    /// `Sendable`); the timer is a second child. A connection found closed when leased (the
    /// pool has not seen it close yet) goes back, and another is leased in the same wait: a
    /// query written to it would be lost (see `DatabaseTransaction`).
    func withBoundedConnection<Result: Sendable>(_ body: (PostgresConnection) async throws -> Result) async throws -> Result {
        let (handover, offer) = AsyncStream<PostgresConnection>.makeStream()
        let (finished, finish) = AsyncStream<Void>.makeStream()
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                defer { offer.finish() }
                var handed = false
                while !handed {
                    try Task.checkCancellation()
                    handed = try await self.withConnection { connection in
                        guard !connection.isClosed else { return false }
                        offer.yield(connection)
                        offer.finish()
                        for await _ in finished {}
                        return true
                    }
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
