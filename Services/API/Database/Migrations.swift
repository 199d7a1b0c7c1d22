import Crypto
import Foundation
import Logging
import OrcastraRuntime
import PostgresNIO

/// The numbered `.sql` files in `Resources/Migrations`, applied in order at start.
///
/// All pending files run in one transaction that first takes a PostgreSQL advisory lock, so
/// two API processes starting together serialise: the second waits, then finds nothing to do.
/// Each applied file is recorded with a checksum; editing an applied file stops start-up,
/// because the database would no longer match what the file says.
struct Migrations: Sendable {
    struct File: Sendable, Equatable {
        var version: Int
        var name: String
        var sql: String
        var checksum: String
    }

    /// Thrown when the files and the database disagree.
    struct Mismatch: Error, CustomStringConvertible {
        var description: String
    }

    /// Arbitrary but fixed: the advisory lock id every Orcastra API uses for migrations.
    static let lockID: Int64 = 0x4F52_4341_4D49_4752

    let files: [File]

    init(files: [File]) {
        self.files = files.sorted { $0.version < $1.version }
    }

    /// Reads `NNNN_name.sql` files from a folder.
    init(directory: URL) throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".sql") }
        var files: [File] = []
        for name in names {
            guard let version = Int(name.prefix { $0.isNumber }) else {
                throw Mismatch(description: "migration file \(name) does not start with a number")
            }
            let sql = try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
            let digest = Hex.encode(SHA256.hash(data: Data(sql.utf8)))
            files.append(File(version: version, name: name, sql: sql, checksum: digest))
        }
        let versions = files.map(\.version)
        guard Set(versions).count == versions.count else { throw Mismatch(description: "two migration files share a number") }
        self.init(files: files)
    }

    /// The migrations shipped with this build.
    static var bundled: Migrations {
        get throws {
            guard let url = Bundle.module.url(forResource: "Migrations", withExtension: nil, subdirectory: "Resources") else {
                throw Mismatch(description: "the Migrations folder is missing from the API's resources")
            }
            return try Migrations(directory: url)
        }
    }

    /// Applies pending migrations; returns the versions it applied.
    @discardableResult
    func apply(client: PostgresClient, logger: Logger) async throws -> [Int] {
        try await client.transaction(logger: logger, queryLimit: PostgresClient.maintenanceQueryLimit) { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(\(Self.lockID))", logger: logger)
            try await connection.query(
                """
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version integer PRIMARY KEY,
                    name text NOT NULL,
                    checksum text NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now()
                )
                """, logger: logger)
            var applied: [Int: String] = [:]
            for try await (version, checksum) in try await connection.query(
                "SELECT version, checksum FROM schema_migrations", logger: logger
            ).decode((Int, String).self) {
                applied[version] = checksum
            }
            var done: [Int] = []
            for file in self.files {
                if let checksum = applied[file.version] {
                    guard checksum == file.checksum else {
                        throw Mismatch(description: "migration \(file.name) was changed after it was applied")
                    }
                    continue
                }
                for statement in SQLScript.statements(file.sql) {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await connection.query(
                    "INSERT INTO schema_migrations (version, name, checksum) VALUES (\(file.version), \(file.name), \(file.checksum))",
                    logger: logger)
                logger.info("applied migration", metadata: ["migration": "\(file.name)"])
                done.append(file.version)
            }
            return done
        }
    }

    /// Applies, retrying while PostgreSQL is unreachable for up to `retryFor`, so the API can
    /// start before its database does (as under docker compose).
    @discardableResult
    func apply(client: PostgresClient, logger: Logger, retryFor: Duration) async throws -> [Int] {
        let deadline = ContinuousClock.now + retryFor
        while true {
            do {
                return try await self.apply(client: client, logger: logger)
            } catch let error as PSQLError where error.serverInfo == nil && ContinuousClock.now < deadline {
                logger.warning("database not reachable yet, retrying", metadata: ["error": "\(error.code)"])
                try await Task.sleep(for: .seconds(1))
            }
        }
    }
}
