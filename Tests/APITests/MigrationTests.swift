import Foundation
import Logging
import OrcastraRuntime
import OrcastraTestSupport
import PostgresNIO
import Testing

@testable import OrcastraAPI

@Suite("Migrations")
struct MigrationTests {
    static let logger = Logger(label: "migration-test")

    static let sample = Migrations(files: [
        .init(version: 1, name: "0001_a.sql", sql: "CREATE TABLE a (id int); INSERT INTO a VALUES (1);", checksum: "c1"),
        .init(version: 2, name: "0002_b.sql", sql: "CREATE TABLE b (id int);\n-- trailing comment\n", checksum: "c2"),
    ])

    @Test("the shipped migrations apply, and a second run applies nothing")
    func idempotent() async throws {
        let db = try await TestDatabase.create()
        defer { db.drop() }
        let migrations = try Migrations.bundled
        #expect(!migrations.files.isEmpty)
        try await withPostgresClient(db.url) { client in
            let first = try await migrations.apply(client: client, logger: Self.logger)
            #expect(first == migrations.files.map(\.version))
            let second = try await migrations.apply(client: client, logger: Self.logger)
            #expect(second.isEmpty)
        }
        #expect(try await db.sql("SELECT count(*) FROM schema_migrations") == String(migrations.files.count))
        #expect(try await db.sql("SELECT to_regclass('app_settings') IS NOT NULL") == "t")
    }

    @Test("two API processes migrating at once: exactly one applies each file")
    func concurrent() async throws {
        let db = try await TestDatabase.create()
        defer { db.drop() }
        // Two separate pools stand for two processes; the advisory lock must serialise them.
        let results = try await withThrowingTaskGroup(of: [Int].self) { group in
            for _ in 0..<2 {
                group.addTask { try await withPostgresClient(db.url) { try await Self.sample.apply(client: $0, logger: Self.logger) } }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results.flatMap { $0 }.sorted() == [1, 2])
        #expect(try await db.sql("SELECT count(*) FROM a") == "1")
        #expect(try await db.sql("SELECT string_agg(version::text, ',' ORDER BY version) FROM schema_migrations") == "1,2")
    }

    @Test("a failing migration leaves nothing behind")
    func atomic() async throws {
        let db = try await TestDatabase.create()
        defer { db.drop() }
        let broken = Migrations(files: [
            .init(version: 1, name: "0001_ok.sql", sql: "CREATE TABLE fine (id int);", checksum: "x"),
            .init(version: 2, name: "0002_bad.sql", sql: "CREATE TABLE oops (id nosuchtype);", checksum: "y"),
        ])
        await #expect(throws: PSQLError.self) {
            try await withPostgresClient(db.url) { try await broken.apply(client: $0, logger: Self.logger) }
        }
        #expect(try await db.sql("SELECT to_regclass('fine') IS NULL AND to_regclass('schema_migrations') IS NULL") == "t")
    }

    @Test("an applied file that was edited stops start-up")
    func edited() async throws {
        let db = try await TestDatabase.create()
        defer { db.drop() }
        try await withPostgresClient(db.url) { client in
            try await Self.sample.apply(client: client, logger: Self.logger)
            var files = Self.sample.files
            files[0].checksum = "changed"
            await #expect(throws: Migrations.Mismatch.self) {
                try await Migrations(files: files).apply(client: client, logger: Self.logger)
            }
        }
    }

    @Test("SQL files split at top-level semicolons only")
    func splitting() {
        let sql = """
            -- a comment; with a semicolon
            CREATE TABLE t (v text DEFAULT 'a;b');
            CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;
            CREATE FUNCTION g() RETURNS int AS $body$ BEGIN RETURN 2; END $body$ LANGUAGE plpgsql;
            /* block; comment */ SELECT "weird;name" FROM t;
            """
        let statements = SQLScript.statements(sql)
        #expect(statements.count == 4)
        #expect(statements[0].hasSuffix("DEFAULT 'a;b')"))
        #expect(statements[1].contains("$$ SELECT 1; $$"))
        #expect(statements[2].contains("RETURN 2; END $body$"))
        #expect(statements[3].contains("\"weird;name\""))
    }
}
