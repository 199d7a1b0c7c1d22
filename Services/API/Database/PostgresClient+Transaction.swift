import Logging
import PostgresNIO

extension PostgresClient {
    /// How long one query of a migration or a command run at a terminal may take
    /// (`rotate-secret-key` re-seals every secret in one transaction).
    static let maintenanceQueryLimit: Duration = .seconds(600)

    /// `limit` as PostgreSQL's `statement_timeout` takes it (whole milliseconds).
    static func statementTimeout(_ limit: Duration) -> String {
        String(limit.components.seconds * 1000 + limit.components.attoseconds / 1_000_000_000_000_000)
    }

    /// `body` in a transaction on a connection leased within `leaseLimit` (or 503
    /// `DatabaseUnavailable`), each of its queries bounded by `queryLimit`. It commits when
    /// `body` returns and rolls back when it throws, failing with what `body` threw: callers
    /// care about what went wrong, not that it happened inside a transaction.
    func transaction<Result: Sendable>(
        logger: Logger, queryLimit: Duration = PostgresClient.leaseLimit, _ body: (DatabaseTransaction) async throws -> sending Result
    ) async throws -> Result {
        try await self.withBoundedConnection { connection in
            let transaction = DatabaseTransaction(connection: connection, limit: queryLimit)
            try await transaction.query("BEGIN", logger: logger)
            do {
                if queryLimit > Self.leaseLimit {
                    try await transaction.query(PostgresQuery(unsafeSQL: "SET LOCAL statement_timeout = \(Self.statementTimeout(queryLimit))"), logger: logger)
                }
                let result = try await body(transaction)
                try await transaction.query("COMMIT", logger: logger)
                return result
            } catch {
                await transaction.rollBack(logger: logger)
                throw error
            }
        }
    }
}

extension DatabaseTransaction {
    /// Ends a failed transaction before its connection goes back to the pool, even when the
    /// caller was cancelled (a task of its own). A connection that closed has ended it
    /// already; one whose ROLLBACK fails is closed, which ends it too: a connection must never
    /// return to the pool inside a transaction.
    func rollBack(logger: Logger) async {
        guard !self.connection.isClosed else { return }
        let transaction = self
        let ended = await Task {
            (try? await transaction.query("ROLLBACK", logger: logger)) != nil
        }.value
        if !ended {
            logger.warning("ROLLBACK did not succeed; closing the connection to end the transaction")
            try? await self.connection.close()
        }
    }
}

extension AsyncSequence where Self: Sendable {
    /// Every element, for the small result sets (a row or a few) that are read whole.
    func all() async throws -> [Element] {
        var elements: [Element] = []
        for try await element in self { elements.append(element) }
        return elements
    }
}
