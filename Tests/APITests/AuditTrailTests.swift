import Foundation
import Logging
import OrcastraModels
import OrcastraRuntime
import OrcastraTestSupport
import PostgresNIO
import Testing

@testable import OrcastraAPI

/// Recording: one row and one line per event, both or neither, in chain order.
@Suite("Audit trail")
struct AuditTrailTests {
    struct Boom: Error {}

    static let fullEvent = AuditEvent(
        action: "api_key.create", category: "authentication", severity: .warning,
        actor: AuditActor(userID: "alice", userType: .user, role: "admin", sessionID: "s-1", groups: ["ops"], organizations: ["acme"]),
        target: AuditTarget(type: "api_key", id: "k-1", host: "node-1", project: "default"),
        result: .failure, errorCode: "conflict", errorMessage: "exists", details: ["name": "ci"],
        requestID: "req-1", durationMs: 12.5, before: ["state": "none"], after: ["state": "active"]
    )

    @Test("a record writes one row and exactly one JSON line carrying every audit field with its type")
    func lineShape() async throws {
        try await AuditFixture.with { f throws in
            let record = try await f.trail.record(Self.fullEvent, client: f.client, logger: f.logger)
            #expect(try await f.db.sql("SELECT count(*) FROM audit_events") == "1")
            #expect(f.sink.lines.count == 1)
            let line = try JSONValue.parse(try #require(f.sink.lines.first))

            #expect(line.keys == [
                "@timestamp", "log_type", "event_id", "request_id", "service", "version", "action", "category", "severity",
                "actor", "target", "result", "error_code", "error_message", "details", "metadata", "host",
            ])
            #expect(line["log_type"] == .string("audit"))
            #expect(line["event_id"]?.string == record.eventID)
            #expect(UUID(uuidString: record.eventID) != nil)
            #expect(line["request_id"] == .string("req-1"))
            #expect(line["service"] == .string("orcastra-api"))
            #expect(line["version"] == .string("9.9.9"))
            #expect(line["action"] == .string("api_key.create"))
            #expect(line["category"] == .string("authentication"))
            #expect(line["severity"] == .string("warning"))
            #expect(line["result"] == .string("failure"))
            #expect(line["error_code"] == .string("conflict"))
            #expect(line["error_message"] == .string("exists"))
            #expect(line["details"] == .object(["name": .string("ci")]))

            let actor = try #require(line["actor"])
            #expect(actor.keys == ["user_id", "user_type", "role", "session_id", "groups", "organizations"])
            #expect(actor["user_id"] == .string("alice"))
            #expect(actor["user_type"] == .string("user"))
            #expect(actor["role"] == .string("admin"))
            #expect(actor["session_id"] == .string("s-1"))
            #expect(actor["groups"] == .array([.string("ops")]))
            #expect(actor["organizations"] == .array([.string("acme")]))

            let target = try #require(line["target"])
            #expect(target.keys == ["type", "id", "host", "project"])
            #expect(target == .object(["type": .string("api_key"), "id": .string("k-1"), "host": .string("node-1"), "project": .string("default")]))

            let metadata = try #require(line["metadata"])
            #expect(metadata.keys == ["duration_ms", "before", "after"])
            #expect(metadata["duration_ms"] == .number(12.5))
            #expect(metadata["before"] == .object(["state": .string("none")]))
            #expect(metadata["after"] == .object(["state": .string("active")]))

            #expect(line["host"] == .object(["name": .string("test-host"), "container_id": .null]))

            // The line's time is the stored time cut to milliseconds, as on every other line.
            let timestamp = try #require(line["@timestamp"]?.string)
            #expect(timestamp.count == "2025-01-31T12:00:00.123Z".count)
            #expect(record.recordedAt.hasPrefix(String(timestamp.dropLast())))
            #expect(try Date(timestamp, strategy: .iso8601.year().month().day().time(includingFractionalSeconds: true)) <= Date())
            #expect(try await f.db.sql("SELECT event_id FROM audit_events") == record.eventID)
        }
    }

    @Test("a minimal event still writes every field, as null or empty")
    func minimalLine() async throws {
        try await AuditFixture.with { f throws in
            try await f.trail.record(AuditEvent(action: "auth.login", category: "authentication", actor: .anonymous, result: .denied),
                                     client: f.client, logger: f.logger)
            let line = try JSONValue.parse(try #require(f.sink.lines.first))
            #expect(line["request_id"] == .null)
            #expect(line["error_code"] == .null)
            #expect(line["error_message"] == .null)
            #expect(line["details"] == .object([:]))
            #expect(line["actor"] == .object([
                "user_id": .null, "user_type": .string("anonymous"), "role": .null, "session_id": .null,
                "groups": .array([]), "organizations": .array([]),
            ]))
            #expect(line["target"] == .object(["type": .null, "id": .null, "host": .null, "project": .null]))
            #expect(line["metadata"] == .object(["duration_ms": .null, "before": .null, "after": .null]))
            #expect(try await f.db.sql("SELECT actor_id IS NULL AND result = 'denied' FROM audit_events") == "t")
        }
    }

    @Test("the body's change and the audit row commit together, and the line follows; duration_ms is measured")
    func bodyCommits() async throws {
        try await AuditFixture.with { f throws in
            let event = AuditEvent(action: "settings.update", category: "settings", actor: .system, target: AuditTarget(type: "setting", id: "ui.theme"))
            let value = try await f.trail.record(event, client: f.client, logger: f.logger) { connection in
                try await connection.query("INSERT INTO app_settings (key, value) VALUES (\("ui.theme"), CAST(\("\"dark\"") AS jsonb))", logger: f.logger)
                return 42
            }
            #expect(value == 42)
            #expect(try await f.db.sql("SELECT value #>> '{}' FROM app_settings WHERE key = 'ui.theme'") == "dark")
            #expect(try await f.db.sql("SELECT action FROM audit_events") == "settings.update")
            let line = try JSONValue.parse(try #require(f.sink.lines.first))
            #expect((line["metadata"]?["duration_ms"]?.number ?? -1) >= 0)
        }
    }

    @Test("a body that throws leaves no change, no row and no line")
    func bodyThrows() async throws {
        try await AuditFixture.with { f throws in
            await #expect(throws: Boom.self) {
                try await f.trail.record(AuditFixture.event(1), client: f.client, logger: f.logger) { connection in
                    try await connection.query("INSERT INTO app_settings (key, value) VALUES ('ui.lost', '1'::jsonb)", logger: f.logger)
                    throw Boom()
                }
            }
            #expect(try await f.db.sql("SELECT count(*) FROM app_settings") == "0")
            #expect(try await f.db.sql("SELECT count(*) FROM audit_events") == "0")
            #expect(try await f.db.sql("SELECT seq FROM audit_chain_head") == "0")
            #expect(f.sink.lines.isEmpty)
        }
    }

    @Test("an event decided by the body names what the body created")
    func outcomeFromBody() async throws {
        try await AuditFixture.with { f throws in
            let id = try await f.trail.record(client: f.client, logger: f.logger) { connection in
                var created = ""
                for try await key in try await connection.query(
                    "INSERT INTO app_settings (key, value) VALUES ('ui.generated', '{}'::jsonb) RETURNING key", logger: f.logger
                ).decode(String.self) {
                    created = key
                }
                return (created, AuditEvent(action: "settings.create", category: "settings", actor: .system, target: AuditTarget(type: "setting", id: created)))
            }
            #expect(id == "ui.generated")
            let line = try JSONValue.parse(try #require(f.sink.lines.first))
            #expect(line["target"]?["id"] == .string("ui.generated"))
            #expect(try await f.db.sql("SELECT body::jsonb #>> '{entry,target,id}' FROM audit_events") == "ui.generated")
        }
    }

    @Test("20 concurrent records get seq 1…20 without gaps, unique event ids, and a valid chain")
    func concurrent() async throws {
        try await AuditFixture.with { f throws in
            let seqs = try await withThrowingTaskGroup(of: Int.self) { group in
                for i in 1...20 {
                    group.addTask { try await f.trail.record(AuditFixture.event(i), client: f.client, logger: f.logger).seq }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(seqs.sorted() == Array(1...20))
            #expect(try await f.db.sql("SELECT string_agg(seq::text, ',' ORDER BY seq) FROM audit_events") == (1...20).map(String.init).joined(separator: ","))
            #expect(try await f.db.sql("SELECT seq FROM audit_chain_head") == "20")
            let ids = try f.sink.lines.map { try #require(try JSONValue.parse($0)["event_id"]?.string) }
            #expect(ids.count == 20)
            #expect(Set(ids).count == 20)
            let verification = try await f.verify()
            #expect(verification.valid, "\(verification.problems)")
            #expect(verification.checked == 20)
        }
    }

    @Test("the stored hash is HMAC-SHA-256(key, prev_hash || seq || body), checkable with SQL and the key")
    func hashFormula() async throws {
        try await AuditFixture.with { f throws in
            try await f.recordMany(4)
            let key = try #require(try await f.trail.keys.forVerify()).key.withUnsafeBytes { Hex.encode($0) }
            #expect(try await f.db.sql("""
                CREATE EXTENSION IF NOT EXISTS pgcrypto;
                SELECT bool_and(hash = hmac(prev_hash || int8send(seq) || convert_to(body, 'UTF8'), decode('\(key)', 'hex'), 'sha256')) FROM audit_events
                """) == "t")
            #expect(try await f.db.sql(
                "SELECT bool_and(e.prev_hash = coalesce(p.hash, decode(repeat('00', 32), 'hex'))) FROM audit_events e LEFT JOIN audit_events p ON p.seq = e.seq - 1") == "t")
            #expect(try await f.db.sql(
                "SELECT h.hash = e.hash FROM audit_chain_head h JOIN audit_events e ON e.seq = h.seq") == "t")
        }
    }

    @Test("changes that are not appends are refused by the triggers", arguments: [
        "UPDATE audit_events SET action = 'x' WHERE seq = 1",
        "DELETE FROM audit_events WHERE seq = 2",
        "TRUNCATE audit_events",
        "DELETE FROM audit_chain_head",
        "TRUNCATE audit_chain_head",
        "INSERT INTO audit_chain_head (singleton, seq, hash) VALUES (false, 0, decode(repeat('00', 32), 'hex'))",
    ])
    func appendOnly(sql: String) async throws {
        try await AuditFixture.with { f throws in
            try await f.recordMany(2)
            await #expect {
                try await f.db.sql(sql)
            } throws: { error in
                String(describing: error).contains("append-only")
            }
            #expect(try await f.db.sql("SELECT count(*) FROM audit_events") == "2")
            #expect(try await f.verify().valid)
        }
    }

    @Test("the head only advances by one onto the newest row, and rows only extend the head", arguments: [
        "UPDATE audit_chain_head SET seq = 1",
        "UPDATE audit_chain_head SET seq = 3",
        "UPDATE audit_chain_head SET hash = decode(repeat('11', 32), 'hex')",
        "INSERT INTO audit_events SELECT 5, gen_random_uuid(), recorded_at, action, category, severity, result, actor_id, body, hash, hash FROM audit_events WHERE seq = 2",
    ])
    func headGuarded(sql: String) async throws {
        try await AuditFixture.with { f throws in
            try await f.recordMany(2)
            await #expect(throws: SQLFailure.self) { try await f.db.sql(sql) }
            #expect(try await f.db.sql("SELECT seq FROM audit_chain_head") == "2")
            #expect(try await f.verify().valid)
        }
    }

    @Test("JSON_LOGS=false writes a readable audit line")
    func readableLine() async throws {
        try await AuditFixture.with { f throws in
            let sink = LogSink(.memory)
            let trail = AuditTrail(service: "orcastra-api", version: "1", sink: sink, keys: f.trail.keys, json: false)
            try await trail.record(AuditFixture.event(7), client: f.client, logger: f.logger)
            #expect(sink.lines.count == 1)
            #expect(sink.lines[0].contains("AUDIT test.event success actor=u1 target=thing/t7"))
            #expect(!sink.lines[0].hasPrefix("{"))
        }
    }
}
