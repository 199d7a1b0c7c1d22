import Hummingbird
import OrcastraRuntime
import PostgresNIO

/// How a PostgreSQL failure in the middle of a call is answered. `DatabaseUnavailable` covers
/// a database that does not answer at all; this covers one that goes away while a query runs
/// (a restart, a stop, a lost network): the query fails with the connection, and the caller
/// gets the same 503 that says so and when to retry, not a 500 that hides it. The pool opens
/// new connections by itself once PostgreSQL is back. Any other database error is our bug or
/// the data's state: a 500, logged with its detail by `ErrorMiddleware`.
extension PSQLError: APIErrorConvertible {
    public var apiError: APIError {
        self.unavailable ? DatabaseUnavailable().apiError
            : APIError.internalError
    }

    /// The SQLSTATE code PostgreSQL answered with, if it answered.
    var sqlState: String? { self.serverInfo?[.sqlState] }

    /// A unique index refused the row (23505): a name or key someone else holds.
    var uniqueViolation: Bool { self.sqlState == "23505" }

    /// A foreign key refused the change (23503): a row still referenced, or referencing one gone.
    var foreignKeyViolation: Bool { self.sqlState == "23503" }

    /// The connection broke or the server is shutting down (SQLSTATE class 08, connection
    /// exception; 57P01-57P03, admin or crash shutdown and cannot connect now), or a statement
    /// ran past its limit (57014, cancelled by `statement_timeout`: a lock held too long or an
    /// overloaded server, a wait worth retrying).
    var unavailable: Bool {
        switch self.code {
        case .serverClosedConnection, .clientClosedConnection, .connectionError, .uncleanShutdown, .poolClosed:
            return true
        default:
            guard let state = self.sqlState else { return false }
            return state.hasPrefix("08") || ["57014", "57P01", "57P02", "57P03"].contains(state)
        }
    }
}
