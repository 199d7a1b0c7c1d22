import Foundation
import Logging
import OrcastraModels
import OrcastraRuntime
import OrcastraTestSupport
import Testing

@testable import OrcastraAPI

/// "Verify integrity" on a real chain: each tampering is done with SQL, as someone with the
/// table owner's rights would, in a fresh database of its own, and must be named exactly.
@Suite("Audit verification")
struct AuditVerifierTests {
    @Test("an empty chain is valid")
    func empty() async throws {
        try await AuditFixture.with { f throws in
            let verification = try await f.verify()
            #expect(verification == AuditVerification(valid: true, checked: 0, headSeq: 0, problems: []))
        }
    }

    @Test("an untouched chain is valid")
    func untouched() async throws {
        try await AuditFixture.with { f throws in
            try await f.recordMany(6)
            let verification = try await f.verify()
            #expect(verification == AuditVerification(valid: true, checked: 6, headSeq: 6, problems: [], keyedFromSeq: 1))
        }
    }

    @Test("an edited row is reported as edited at its seq", arguments: [
        "UPDATE audit_events SET action = 'test.other' WHERE seq = 3",
        "UPDATE audit_events SET actor_id = 'mallory' WHERE seq = 3",
        "UPDATE audit_events SET recorded_at = recorded_at - interval '1 microsecond' WHERE seq = 3",
        "UPDATE audit_events SET body = replace(body, '\"i\":\"3\"', '\"i\":\"9\"') WHERE seq = 3",
        "UPDATE audit_events SET body = 'not json' WHERE seq = 3",
        "UPDATE audit_events SET hash = sha256(hash) WHERE seq = 3",
    ])
    func edited(sql: String) async throws {
        try await AuditFixture.with { f throws in
            let records = try await f.recordMany(5)
            try await f.tamper(sql)
            let verification = try await f.verify()
            #expect(!verification.valid)
            #expect(verification.summary == ["edited@3"], "\(verification.problems)")
            #expect(verification.problems.first?.eventID == records[2].eventID)
            #expect(verification.checked == 5)
        }
    }

    @Test("a row rewritten with a correctly recomputed hash is caught by the next row's link")
    func rewrittenWithHash() async throws {
        try await AuditFixture.with { f throws in
            try await f.recordMany(5)
            try await f.tamper("UPDATE audit_events SET body = replace(body, '\"i\":\"3\"', '\"i\":\"9\"') WHERE seq = 3")
            try await f.recomputeRow(3)
            #expect(try await f.verify().summary == ["edited@3"])
        }
    }

    @Test("the newest row rewritten with a recomputed hash is caught by the head")
    func rewrittenTail() async throws {
        try await AuditFixture.with { f throws in
            try await f.recordMany(5)
            try await f.tamper("UPDATE audit_events SET body = replace(body, '\"i\":\"5\"', '\"i\":\"9\"') WHERE seq = 5")
            try await f.recomputeRow(5)
            #expect(try await f.verify().summary == ["edited@5"])
        }
    }

    @Test("two swapped rows are reported as reordered, starting at the first one", arguments: [
        // The rows trade places (their seq values), content and hashes intact.
        "UPDATE audit_events SET seq = 1000 WHERE seq = 3; UPDATE audit_events SET seq = 3 WHERE seq = 4; UPDATE audit_events SET seq = 4 WHERE seq = 1000",
        // The bodies trade places; seq, links and hashes stay.
        "UPDATE audit_events SET body = CASE seq WHEN 3 THEN (SELECT body FROM audit_events WHERE seq = 4) ELSE (SELECT body FROM audit_events WHERE seq = 3) END WHERE seq IN (3, 4)",
    ])
    func reordered(sql: String) async throws {
        try await AuditFixture.with { f throws in
            try await f.recordMany(6)
            try await f.tamper(sql)
            let verification = try await f.verify()
            #expect(verification.summary == ["reordered@3", "reordered@4"], "\(verification.problems)")
            #expect(verification.problems.first?.message.contains("seq 4") == true)
        }
    }

    @Test("a deleted middle row is reported as missing with its seq")
    func missing() async throws {
        try await AuditFixture.with { f throws in
            try await f.recordMany(5)
            try await f.tamper("DELETE FROM audit_events WHERE seq = 3")
            let verification = try await f.verify()
            #expect(verification.summary == ["missing@3"], "\(verification.problems)")
            #expect(verification.checked == 4)
        }
    }

    @Test("several deleted rows in a row are one missing range")
    func missingRange() async throws {
        try await AuditFixture.with { f throws in
            try await f.recordMany(6)
            try await f.tamper("DELETE FROM audit_events WHERE seq IN (1, 3, 4)")
            let verification = try await f.verify()
            #expect(verification.summary == ["missing@1", "missing@3"], "\(verification.problems)")
            #expect(verification.problems.last?.message.contains("3…4") == true)
        }
    }

    @Test("deleting the newest rows is reported as truncated, naming the head and the last row")
    func truncated() async throws {
        try await AuditFixture.with { f throws in
            try await f.recordMany(5)
            try await f.tamper("DELETE FROM audit_events WHERE seq >= 4")
            let verification = try await f.verify()
            #expect(verification.summary == ["truncated@5"], "\(verification.problems)")
            #expect(verification.headSeq == 5)
            let message = try #require(verification.problems.first?.message)
            #expect(message.contains("seq 5") && message.contains("seq 3"))
        }
    }

    @Test("a row added behind the trail's back, past the head, is reported")
    func beyondHead() async throws {
        try await AuditFixture.with { f throws in
            try await f.recordMany(3)
            try await f.db.sql("""
                ALTER TABLE audit_events DISABLE TRIGGER audit_events_extend_head;
                INSERT INTO audit_events
                    SELECT 4, gen_random_uuid(), recorded_at, action, category, severity, result, actor_id, body, hash, hash
                    FROM audit_events WHERE seq = 3;
                ALTER TABLE audit_events ENABLE TRIGGER audit_events_extend_head
                """)
            let verification = try await f.verify()
            #expect(verification.summary.first == "edited@4", "\(verification.problems)")
            #expect(verification.problems.first?.message.contains("beyond the chain head") == true)
            #expect(verification.headSeq == 3)
        }
    }

    @Test("an edit and a deletion in one chain are both reported, in chain order")
    func several() async throws {
        try await AuditFixture.with { f throws in
            try await f.recordMany(8)
            try await f.tamper("UPDATE audit_events SET result = 'denied' WHERE seq = 2; DELETE FROM audit_events WHERE seq IN (5, 8)")
            #expect(try await f.verify().summary == ["edited@2", "missing@5", "truncated@8"])
        }
    }

    @Test("new events after a tampering do not hide it")
    func appendAfterTampering() async throws {
        try await AuditFixture.with { f throws in
            try await f.recordMany(3)
            try await f.tamper("UPDATE audit_events SET action = 'test.other' WHERE seq = 2")
            try await f.recordMany(2)
            let verification = try await f.verify()
            #expect(verification.summary == ["edited@2"])
            #expect(verification.headSeq == 5)
        }
    }
}
