import Foundation
import Logging
import OrcastraModels
import OrcastraRuntime
import OrcastraTestSupport
import PostgresNIO

@testable import OrcastraAPI

/// What an audit test works with: a migrated throw-away database, a trail writing into a
/// memory sink, and the pool both use.
struct AuditFixture: Sendable {
    let client: PostgresClient
    let db: TestDatabase
    let sink: LogSink
    let trail: AuditTrail
    let logger = Logger(label: "audit-test")

    static let host = LogHost(name: "test-host", containerID: nil)

    /// Runs `body` against a fresh database; dropped afterwards.
    static func with(_ body: @Sendable (AuditFixture) async throws -> Void) async throws {
        try await withMigratedDatabase { client, db in
            let sink = LogSink(.memory)
            let trail = AuditTrail(service: "orcastra-api", version: "9.9.9", sink: sink, host: Self.host)
            try await body(AuditFixture(client: client, db: db, sink: sink, trail: trail))
        }
    }

    /// Records `count` plain events, one after the other; event `i` (from 1) is by user `u<i % 3>`.
    @discardableResult
    func recordMany(_ count: Int) async throws -> [AuditRecord] {
        var records: [AuditRecord] = []
        for i in 1...count {
            records.append(try await self.trail.record(Self.event(i), client: self.client, logger: self.logger))
        }
        return records
    }

    static func event(_ i: Int, action: String = "test.event", result: AuditResult = .success) -> AuditEvent {
        AuditEvent(
            action: action, category: "testing", actor: AuditActor(userID: "u\(i % 3)", userType: .user),
            target: AuditTarget(type: "thing", id: "t\(i)"), result: result, details: ["i": String(i)],
            requestID: "req-\(i)"
        )
    }

    /// Runs SQL on `audit_events` with its append-only trigger disabled, as only the table's owner
    /// can (the test role owns the tables and is not a superuser, so `session_replication_role`
    /// is not available to it); the trigger is enabled again in the same psql call.
    func tamper(_ sql: String) async throws {
        try await self.db.sql("""
            ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only;
            \(sql);
            ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only
            """)
    }

    func verify() async throws -> AuditVerification {
        try await AuditVerifier(client: self.client).verify(logger: self.logger)
    }
}

extension AuditVerification {
    /// `kind@seq` of each problem, for compact expectations.
    var summary: [String] { self.problems.map { "\($0.kind.rawValue)@\($0.seq)" } }
}
