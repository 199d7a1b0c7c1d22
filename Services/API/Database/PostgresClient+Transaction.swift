import Logging
import PostgresNIO

extension PostgresClient {
    /// `withTransaction` on a connection leased within `leaseLimit` (or 503
    /// `DatabaseUnavailable`), failing with the error that caused the rollback (a domain error
    /// thrown by `body`, or the failing query's `PSQLError`) instead of postgres-nio's wrapper:
    /// callers care about what went wrong, not that it happened inside a transaction.
    func transaction<Result: Sendable>(
        logger: Logger, _ body: (PostgresConnection) async throws -> sending Result
    ) async throws -> Result {
        try await self.withBoundedConnection { connection in
            do {
                return try await connection.withTransaction(logger: logger, body)
            } catch let error as PostgresTransactionError {
                throw error.closureError ?? error.beginError ?? error.commitError ?? error
            }
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
