import Logging
import OrcastraRuntime
import OrcastraTestSupport
import PostgresNIO

@testable import OrcastraAPI

/// Runs `body` with a running postgres-nio pool on `url`, as the application runs it.
func withPostgresClient<R: Sendable>(_ url: DatabaseURL, _ body: @Sendable (PostgresClient) async throws -> R) async throws -> R {
    let client = PostgresClient(configuration: url.clientConfiguration())
    return try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { await client.run() }
        defer { group.cancelAll() }
        return try await body(client)
    }
}

/// A fresh database with the shipped migrations applied, dropped afterwards.
func withMigratedDatabase(_ body: @Sendable (PostgresClient, TestDatabase) async throws -> Void) async throws {
    let db = try await TestDatabase.create()
    defer { db.drop() }
    try await withPostgresClient(db.url) { client in
        try await Migrations.bundled.apply(client: client, logger: Logger(label: "test-migrations"))
        try await body(client, db)
    }
}

/// A master key for the embedded secret store in tests.
let testMasterKey = "test-master-key-0123456789abcdef0123456789"

extension AuthSettings {
    /// Authentication on, pointed at an issuer that does not exist: for tests of public routes.
    static let noIssuer = AuthSettings(token: .init(issuer: "http://127.0.0.1:1/application/o/none/", audience: "none"))
}
