import Logging
import OrcastraRuntime
import PostgresNIO

/// Two database roles: the schema's **owner** (`DATABASE_OWNER_URL`) applies the migrations and
/// grants, and the API's own role (`DATABASE_URL`) does everything else with only the rights
/// the grants give it.
///
/// What this buys: the API's role cannot rewrite the audit trail. It may INSERT and SELECT
/// `audit_events` and nothing more (no UPDATE, DELETE, TRUNCATE, no DDL: it owns no table, so it
/// cannot disable or drop the append-only triggers either); it may advance `audit_chain_head`,
/// which the triggers allow only one row forward. Everything else it reads and writes as before.
/// Without `DATABASE_OWNER_URL` one role does both (the tests' throw-away databases, an older
/// `.env`), and start-up warns that the trail's protection then rests on the key and anchors.
struct DatabaseRoles: Sendable {
    let app: DatabaseURL
    let owner: DatabaseURL?

    /// Migrates, as the owner when there is one (then grants), retrying while PostgreSQL is
    /// not reachable yet for up to `retryFor`.
    func prepare(migrations: Migrations, appClient: PostgresClient, logger: Logger, retryFor: Duration) async throws {
        guard let owner = self.owner else {
            try await migrations.apply(client: appClient, logger: logger, retryFor: retryFor)
            return
        }
        let ownerClient = PostgresClient(configuration: owner.clientConfiguration(), backgroundLogger: logger)
        try await ownerClient.whileRunning {
            try await migrations.apply(client: ownerClient, logger: logger, retryFor: retryFor)
            try await Self.grant(to: self.app.user, client: ownerClient, logger: logger)
        }
    }

    /// Grants `role` what the API needs, and takes back what it must not have, on every table
    /// in `public` (so tables a later migration adds are covered at the next start). Idempotent.
    /// Under the migrations' advisory lock: two APIs starting at once otherwise update the same
    /// catalog rows and one fails with "tuple concurrently updated".
    static func grant(to role: String, client: PostgresClient, logger: Logger) async throws {
        let name = try Self.quoted(role)
        try await client.transaction(logger: logger, queryLimit: PostgresClient.maintenanceQueryLimit) { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(\(Migrations.lockID))", logger: logger)
            for statement in [
                "GRANT USAGE ON SCHEMA public TO \(name)",
                "REVOKE ALL ON ALL TABLES IN SCHEMA public FROM \(name)",
                "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO \(name)",
                "GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO \(name)",
                "REVOKE UPDATE, DELETE ON audit_events FROM \(name)",
                "REVOKE INSERT, DELETE ON audit_chain_head FROM \(name)",
                "REVOKE INSERT, UPDATE, DELETE ON schema_migrations FROM \(name)",
            ] {
                try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
            }
        }
    }

    /// Says at start when the API's own role could rewrite the trail: it owns the audit table
    /// (one role for everything) or is a superuser.
    static func warnings(client: PostgresClient, logger: Logger) async throws -> [String] {
        let rows = try await client.boundedQuery(
            """
            SELECT r.rolsuper, pg_get_userbyid(c.relowner) = current_user
            FROM pg_roles r, pg_class c WHERE r.rolname = current_user AND c.oid = 'audit_events'::regclass
            """, logger: logger)
        for try await (superuser, owns) in rows.decode((Bool, Bool).self) {
            if superuser { return ["DATABASE_URL's role is a PostgreSQL superuser: it can rewrite the audit trail; give the API a role of its own and DATABASE_OWNER_URL for migrations"] }
            if owns { return ["DATABASE_URL's role owns the audit table and could disable its triggers; set DATABASE_OWNER_URL to the schema owner so the API runs with INSERT and SELECT only on audit_events"] }
        }
        return []
    }

    /// A role name as a quoted SQL identifier; names are what PostgreSQL allows, quotes doubled.
    static func quoted(_ role: String) throws -> String {
        guard !role.isEmpty, role.utf8.count <= 63, !role.contains("\0") else {
            throw ConfigError(DatabaseURL.variable, "has a user name PostgreSQL cannot have")
        }
        return "\"" + role.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
