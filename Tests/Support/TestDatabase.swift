import Foundation
import OrcastraRuntime

/// A throw-away database on the project's PostgreSQL, so tests never share state.
public struct TestDatabase: Sendable {
    public let url: DatabaseURL
    let admin: DatabaseURL

    /// Creates `orc_test_<random>` owned by the test role.
    public static func create() async throws -> TestDatabase {
        let admin = try TestEnvironment.databaseURL()
        var url = admin
        url.database = "orc_test_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(16).lowercased()
        let db = TestDatabase(url: url, admin: admin)
        _ = try Self.check(admin, "CREATE DATABASE", try await Command.run(try Command.which("psql"), Self.arguments(admin, "CREATE DATABASE \(url.database)"), environment: Self.environment(admin)))
        return db
    }

    /// Runs SQL in this database and returns psql's unaligned output.
    @discardableResult
    public func sql(_ statement: String) async throws -> String {
        try Self.check(self.url, statement, try await Command.run(try Command.which("psql"), Self.arguments(self.url, statement), environment: Self.environment(self.url)))
    }

    /// Drops the database in the background (`Command.inBackground`), so it may run from a
    /// `defer` without holding up other tests.
    public func drop() {
        let statement = "DROP DATABASE IF EXISTS \(self.url.database) WITH (FORCE)"
        let admin = self.admin
        Command.inBackground {
            _ = try? Command.runBlocking(try Command.which("psql"), Self.arguments(admin, statement), environment: Self.environment(admin))
        }
    }

    static func arguments(_ target: DatabaseURL, _ statement: String) -> [String] {
        ["-h", target.host, "-p", String(target.port), "-U", target.user, "-d", target.database, "-v", "ON_ERROR_STOP=1", "-qtAc", statement]
    }

    static func environment(_ target: DatabaseURL) -> [String: String] {
        ["PGPASSWORD": target.password ?? "", "PATH": "/usr/bin:/bin"]
    }

    /// psql's output, or an error saying whether the server is missing or the SQL failed.
    static func check(_ target: DatabaseURL, _ statement: String, _ result: Command.Result) throws -> String {
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
