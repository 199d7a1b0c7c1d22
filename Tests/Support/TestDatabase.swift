import Foundation
import OrcastraRuntime

/// A throw-away database on the project's PostgreSQL, so tests never share state.
public struct TestDatabase: Sendable {
    public let url: DatabaseURL
    let admin: DatabaseURL

    /// Creates `orc_test_<random>` owned by the test role.
    public static func create() throws -> TestDatabase {
        let admin = try TestEnvironment.databaseURL()
        var url = admin
        url.database = "orc_test_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(16).lowercased()
        let db = TestDatabase(url: url, admin: admin)
        _ = try db.psql(admin, "CREATE DATABASE \(url.database)")
        return db
    }

    /// Runs SQL in this database and returns psql's unaligned output.
    @discardableResult
    public func sql(_ statement: String) throws -> String {
        try self.psql(self.url, statement)
    }

    public func drop() {
        _ = try? self.psql(self.admin, "DROP DATABASE IF EXISTS \(self.url.database) WITH (FORCE)")
    }

    private func psql(_ target: DatabaseURL, _ statement: String) throws -> String {
        let result = try Command.run(
            try Command.which("psql"),
            ["-h", target.host, "-p", String(target.port), "-U", target.user, "-d", target.database, "-v", "ON_ERROR_STOP=1", "-qtAc", statement],
            environment: ["PGPASSWORD": target.password ?? "", "PATH": "/usr/bin:/bin"]
        )
        guard result.status == 0 else {
            let message = result.error.trimmingCharacters(in: .whitespacesAndNewlines)
            if message.contains("could not connect") || message.contains("Connection refused") {
                throw MissingService("PostgreSQL at \(target.host):\(target.port) is not reachable (\(message)); run `make test`, which starts it")
            }
            throw SQLFailure(description: "`\(statement.prefix(80))` failed: \(message)")
        }
        return result.output.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

/// A statement a test ran through psql failed.
public struct SQLFailure: Error, CustomStringConvertible {
    public let description: String
}
