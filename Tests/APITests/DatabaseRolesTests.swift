import Foundation
import Logging
import OrcastraModels
import OrcastraRuntime
import OrcastraTestSupport
import PostgresNIO
import Testing

@testable import OrcastraAPI

/// The API under a role of its own (`DATABASE_URL`) with migrations run by the schema owner
/// (`DATABASE_OWNER_URL`), as `make run` and the compose deployment set it up: the API's role
/// reads and writes what it needs and cannot rewrite the audit trail or switch its guards off.
@Suite("Database roles")
struct DatabaseRolesTests {
    static let logger = Logger(label: "roles-test")

    /// A fresh database migrated by its owner with grants to the project's app role; `body` gets
    /// a pool as the app role and one as the owner.
    static func withSplitRoles(_ body: @Sendable (_ app: PostgresClient, _ owner: PostgresClient) async throws -> Void) async throws {
        let db = try await TestDatabase.create()
        defer { db.drop() }
        var url = try TestEnvironment.appDatabaseURL()
        url.database = db.url.database
        let appURL = url
        try await withPostgresClient(appURL) { app in
            try await DatabaseRoles(app: appURL, owner: db.url).prepare(migrations: try Migrations.bundled, appClient: app, logger: Self.logger, retryFor: .seconds(5))
            try await withPostgresClient(db.url) { owner in try await body(app, owner) }
        }
    }

    /// The server's message for `sql` run as `client`, or nil when it succeeded.
    static func refusal(_ sql: String, on client: PostgresClient) async -> String? {
        do {
            try await client.query(PostgresQuery(unsafeSQL: sql), logger: Self.logger)
            return nil
        } catch let error as PSQLError {
            return error.serverInfo?[.message] ?? "\(error)"
        } catch {
            return "\(error)"
        }
    }

    @Test("the API's role appends and verifies the trail and does its ordinary work")
    func appRoleWorks() async throws {
        try await Self.withSplitRoles { app, _ in
            let trail = AuditTrail(service: "orcastra-api", version: "t", sink: LogSink(.memory), keys: .testing(app))
            for i in 1...3 { try await trail.record(AuditFixture.event(i), client: app, logger: Self.logger) }
            let verification = try await AuditVerifier(client: app, keys: trail.keys).verify(logger: Self.logger)
            #expect(verification.valid && verification.headSeq == 3, "\(verification.problems)")
            let user = try await UserDirectory(client: app, audit: trail, logger: Self.logger)
                .sawToken(subject: "s1", name: "N", email: nil, role: .tenant, groups: [], requestID: nil)
            #expect(user.subject == "s1")
            #expect(try await DatabaseRoles.warnings(client: app, logger: Self.logger).isEmpty)
        }
    }

    @Test("APIs starting at once grant side by side without a concurrent-update failure")
    func concurrentGrants() async throws {
        try await Self.withSplitRoles { app, owner in
            let role = try TestEnvironment.appDatabaseURL().user
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<8 { group.addTask { try await DatabaseRoles.grant(to: role, client: owner, logger: Self.logger) } }
                try await group.waitForAll()
            }
            #expect(await Self.refusal("SELECT count(*) FROM users", on: app) == nil)
        }
    }

    @Test("the API's role cannot change, delete, truncate or unguard the audit trail", arguments: [
        ("UPDATE audit_events SET action = 'x' WHERE seq = 1", "permission denied"),
        ("DELETE FROM audit_events WHERE seq = 1", "permission denied"),
        ("TRUNCATE audit_events", "permission denied"),
        ("ALTER TABLE audit_events DISABLE TRIGGER USER", "must be owner"),
        ("DROP TRIGGER audit_events_append_only ON audit_events", "must be owner"),
        ("DELETE FROM audit_chain_head", "permission denied"),
        ("UPDATE audit_chain_head SET seq = 0", "may only advance"),
        ("DELETE FROM schema_migrations", "permission denied"),
        ("CREATE TABLE audit_copy (x int)", "permission denied"),
    ])
    func appRoleRefused(sql: String, expected: String) async throws {
        try await Self.withSplitRoles { app, _ in
            let trail = AuditTrail(service: "orcastra-api", version: "t", sink: LogSink(.memory), keys: .testing(app))
            for i in 1...2 { try await trail.record(AuditFixture.event(i), client: app, logger: Self.logger) }
            let refusal = await Self.refusal(sql, on: app)
            #expect(refusal?.contains(expected) == true, "\(sql): \(refusal ?? "accepted")")
            #expect(try await AuditVerifier(client: app, keys: trail.keys).verify(logger: Self.logger).valid)
        }
    }

    @Test("the compose init script makes an owner and an app role, neither a superuser, that the API splits as make run does")
    func composeInitScript() async throws {
        let postgres = try await PrivatePostgres()
        try await postgres.start()
        let script = TestEnvironment.root.appendingPathComponent("compose/dashboard/postgres-init/10-orcastra-roles.sh").path
        var environment = ProcessInfo.processInfo.environment
        environment.merge([
            "PGHOST": "127.0.0.1", "PGPORT": String(postgres.port), "POSTGRES_USER": "postgres",
            "POSTGRES_OWNER_USER": "orc_owner", "POSTGRES_OWNER_PASSWORD": "owner-pw", "POSTGRES_APP_USER": "orc_app",
            "POSTGRES_APP_PASSWORD": "app-pw", "ORCASTRA_DB": "orc",
        ]) { $1 }
        let result = try await Command.run("/bin/bash", [script], environment: environment)
        #expect(result.status == 0, "\(result.error)")
        let owner = DatabaseURL(host: "127.0.0.1", port: postgres.port, user: "orc_owner", password: "owner-pw", database: "orc")
        let app = DatabaseURL(host: "127.0.0.1", port: postgres.port, user: "orc_app", password: "app-pw", database: "orc")
        try await withPostgresClient(app) { client in
            try await DatabaseRoles(app: app, owner: owner).prepare(migrations: try Migrations.bundled, appClient: client, logger: Self.logger, retryFor: .seconds(5))
            #expect(try await DatabaseRoles.warnings(client: client, logger: Self.logger).isEmpty)
            var superusers: [String] = []
            for try await name in try await client.query("SELECT rolname FROM pg_roles WHERE rolsuper AND rolname IN ('orc_owner', 'orc_app')", logger: Self.logger).decode(String.self) {
                superusers.append(name)
            }
            #expect(superusers.isEmpty)
            #expect(await Self.refusal("DELETE FROM audit_events", on: client)?.contains("permission denied") == true)
        }
    }

    @Test("one role for everything is warned about at start")
    func ownerWarned() async throws {
        try await Self.withSplitRoles { _, owner in
            let warnings = try await DatabaseRoles.warnings(client: owner, logger: Self.logger)
            #expect(warnings.count == 1 && warnings[0].contains("DATABASE_OWNER_URL"), "\(warnings)")
        }
    }

    @Test("DATABASE_OWNER_URL naming DATABASE_URL's own role is refused at start; another role is read")
    func ownerSetting() throws {
        var settings = APIConfigTests.withKey
        settings["DATABASE_OWNER_URL"] = "postgresql://u:other@h/d"
        let error = #expect(throws: ConfigError.self) { try APIConfig(settings: .testing(settings)) }
        #expect(error?.variable == "DATABASE_OWNER_URL" && error?.problem.contains("same role") == true)
        settings["DATABASE_OWNER_URL"] = "postgresql://owner:pw@h/d"
        #expect(try APIConfig(settings: .testing(settings)).databaseOwner?.user == "owner")
    }
}
