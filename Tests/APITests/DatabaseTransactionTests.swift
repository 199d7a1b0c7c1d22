import Foundation
import Logging
import OrcastraRuntime
import OrcastraTestSupport
import PostgresNIO
import Testing

@testable import OrcastraAPI

/// A transaction whose query cannot finish — here a row lock held by another session, the
/// same wait a query lost with its connection would be — answers 503 at its limit, writes
/// nothing, and gives its connection back to the pool ready for the next caller.
@Suite("Database transactions")
struct DatabaseTransactionTests {
    let logger = Logger(label: "test")

    @Test("a query held past the limit inside a transaction: a 503 at the limit, the transaction rolled back, the pool's one connection free again")
    func heldQueryIsBounded() async throws {
        let database = try await TestDatabase.create()
        defer { database.drop() }
        try await database.sql("CREATE TABLE marks (n int); CREATE TABLE locked (id int PRIMARY KEY); INSERT INTO locked VALUES (1)")
        var configuration = database.url.clientConfiguration()
        configuration.options.maximumConnections = 1
        let client = PostgresClient(configuration: configuration)
        // Another session holds the row for longer than the limit.
        let holder = Task {
            try await database.sql("BEGIN; SELECT id FROM locked WHERE id = 1 FOR UPDATE; SELECT pg_sleep(12); COMMIT")
        }
        defer { holder.cancel() }
        try await client.whileRunning {
            try await Command.waitUntil(.seconds(10), "the other session holding the row") {
                try await database.sql("SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE c.relname = 'locked' AND l.granted") != "0"
            }
            let started = ContinuousClock.now
            let error = await #expect(throws: (any Error).self) {
                try await client.transaction(logger: self.logger) { transaction in
                    try await transaction.query("INSERT INTO marks VALUES (1)", logger: self.logger)
                    try await transaction.query("SELECT id FROM locked WHERE id = 1 FOR UPDATE", logger: self.logger)
                }
            }
            let took = ContinuousClock.now - started
            #expect((error as? any APIErrorConvertible)?.apiError.status == .serviceUnavailable, "answered \(String(describing: error))")
            #expect(took >= PostgresClient.leaseLimit - .milliseconds(100) && took < PostgresClient.leaseLimit + .seconds(2), "took \(took)")

            // The pool's only connection serves the next transaction at once, outside any
            // leftover transaction: its write is the only one that stays.
            let next = ContinuousClock.now
            try await client.transaction(logger: self.logger) { transaction in
                try await transaction.query("INSERT INTO marks VALUES (2)", logger: self.logger)
            }
            #expect(ContinuousClock.now - next < .seconds(2))
            let marks = try await client.boundedQuery("SELECT n FROM marks ORDER BY n", logger: self.logger).decode(Int.self).all()
            #expect(marks == [2], "only the second transaction's row: \(marks)")
        }
    }

    @Test("a maintenance transaction may run a statement past the request limit; a request's may not")
    func maintenanceLimit() async throws {
        let database = try await TestDatabase.create()
        defer { database.drop() }
        let client = PostgresClient(configuration: database.url.clientConfiguration())
        try await client.whileRunning {
            let seconds = Double(PostgresClient.leaseLimit.components.seconds) + 0.5
            try await client.transaction(logger: self.logger, queryLimit: PostgresClient.maintenanceQueryLimit) { transaction in
                _ = try await transaction.query(PostgresQuery(unsafeSQL: "SELECT pg_sleep(\(seconds))"), logger: self.logger)
            }
            await #expect(throws: (any Error).self) {
                try await client.transaction(logger: self.logger) { transaction in
                    try await transaction.query(PostgresQuery(unsafeSQL: "SELECT pg_sleep(\(seconds))"), logger: self.logger)
                }
            }
        }
    }
}
