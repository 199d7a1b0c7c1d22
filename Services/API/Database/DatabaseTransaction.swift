import Logging
import PostgresNIO

/// One of the API's transactions, as its body sees it: queries on the transaction's
/// connection, each bounded (`PostgresConnection.boundedQuery`), so that no query of a
/// transaction can hold a request past its limit. `PostgresClient.transaction` runs BEGIN,
/// COMMIT and ROLLBACK the same way.
///
/// postgres-nio's own `withTransaction` cannot be used: a query it loses (written to a
/// connection PostgreSQL closed a moment before) neither answers nor heeds cancellation, and
/// inside `withTransaction` nothing would end the wait.
struct DatabaseTransaction: Sendable {
    let connection: PostgresConnection
    /// How long each query may take.
    let limit: Duration

    @discardableResult
    func query(_ query: PostgresQuery, logger: Logger) async throws -> QueryRows {
        try await self.connection.boundedQuery(query, within: self.limit, logger: logger)
    }
}

extension PostgresConnection {
    /// `query` with its rows read whole, or `DatabaseUnavailable` when they have not all come
    /// within `limit`. A query past its limit is left to end on its own (`Abandoning`): on a
    /// healthy connection PostgreSQL cancels it at the same limit (`statement_timeout`, set for
    /// every connection of the pool), and on a closed one it is lost with the connection.
    func boundedQuery(_ query: PostgresQuery, within limit: Duration, logger: Logger) async throws -> QueryRows {
        try await Abandoning.run(after: limit, orFail: DatabaseUnavailable()) {
            QueryRows(rows: try await self.query(query, logger: logger).all())
        }
    }
}

/// Rows read whole, iterated and decoded like postgres-nio's row sequence. The API's queries
/// read a row or a page; reading them whole is what lets a query be bounded as one step.
struct QueryRows: AsyncSequence, Sendable {
    typealias Element = PostgresRow
    let rows: [PostgresRow]

    struct AsyncIterator: AsyncIteratorProtocol {
        var base: IndexingIterator<[PostgresRow]>
        mutating func next() async -> PostgresRow? { self.base.next() }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(base: self.rows.makeIterator()) }
}
