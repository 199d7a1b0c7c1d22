import Foundation
import OrcastraModels

/// Walks the stored rows in `seq` order, one at a time, and says where the chain disagrees
/// with itself; kept apart from the database so the rules read in one place.
///
/// How each tampering shows:
/// - a column or the body changed: the row's hash no longer matches its content, or a filter
///   column no longer matches the body → `edited` at that row;
/// - a row rewritten with a freshly computed hash: the row checks out, but the next row's
///   `prev_hash` (or, for the newest row, the head) still names the old hash → `edited` at the
///   rewritten row;
/// - rows swapped (their `seq` values, or their bodies): each body carries the `seq` it was
///   written at, so a body found at another position → `reordered` at each moved row;
/// - a row deleted: the sequence skips → `missing` at the first skipped number (the next row's
///   broken link is the same fact and is not reported again);
/// - the newest rows deleted: the head records a later `seq` than the table holds →
///   `truncated` at the head's `seq`.
///
/// - the whole chain recomputed from an edit onwards, head included: the hashes are HMACs under
///   the key in the secret store (`AuditChainKey`), so without it → `edited` at the first row;
/// - the newest rows deleted and the head moved back with them: the anchor kept outside the
///   database (`AuditAnchor`) names a later `seq` → `truncated`, or the anchored row's hash
///   differs → `edited`.
///
/// After a row found damaged, the next row's link is not judged: the damaged row's stored hash
/// says nothing reliable about what the next row should point to.
struct AuditChainCheck {
    /// One row as read from `audit_events`; `recordedAt` formatted as `AuditChain.timestampFormat`.
    struct Row {
        var seq: Int64
        var eventID: UUID
        var recordedAt: String
        var action: String
        var category: String
        var severity: String
        var result: String
        var actorID: String?
        var body: String
        var prevHash: Data
        var hash: Data
    }

    let headSeq: Int64
    let headHash: Data
    /// nil while no row has been keyed (every row is plain SHA-256).
    let key: AuditChainKey?
    /// The newest anchor, if one was written.
    let anchor: AuditAnchor?
    private(set) var checked = 0
    private(set) var problems: [AuditProblem] = []
    private var expected: Int64 = 1
    /// The previous row's seq, stored hash and whether it checked out.
    private var previous: (seq: Int64, eventID: String, hash: Data, intact: Bool)?
    /// Set once a row after the head has been reported, so the rest are not reported again.
    private var beyondHead = false
    /// The row the head points at, as `previous` recorded it.
    private var headRow: (seq: Int64, eventID: String, hash: Data, intact: Bool)?

    init(headSeq: Int64, headHash: Data, key: AuditChainKey? = nil, anchor: AuditAnchor? = nil) {
        self.headSeq = headSeq
        self.headHash = headHash
        self.key = key
        self.anchor = anchor
    }

    mutating func check(_ row: Row) {
        self.checked += 1
        let gap = row.seq > self.expected
        if gap {
            let range = row.seq - 1 == self.expected ? "row \(self.expected) is" : "rows \(self.expected)…\(row.seq - 1) are"
            self.report(self.expected, nil, .missing, "\(range) missing: the next row found is seq \(row.seq)")
        }
        if row.seq > self.headSeq, !self.beyondHead {
            self.beyondHead = true
            self.report(row.seq, row.eventID.uuidString.lowercased(), .edited,
                        "rows from seq \(row.seq) on lie beyond the chain head (seq \(self.headSeq)): the head was moved back or rows were added outside the audit trail")
        }

        let intact = self.judge(row, gap: gap)
        self.previous = (row.seq, row.eventID.uuidString.lowercased(), row.hash, intact)
        if row.seq == self.headSeq { self.headRow = self.previous }
        self.expected = row.seq + 1
    }

    /// Reports what is wrong with `row` itself (or, through its link, with the row before it);
    /// true when the row itself checks out.
    private mutating func judge(_ row: Row, gap: Bool) -> Bool {
        let columnID = row.eventID.uuidString.lowercased()
        guard let body = AuditChain.decode(row.body) else {
            self.report(row.seq, columnID, .edited, "seq \(row.seq): the body is not a readable audit event")
            return false
        }
        let id = body.entry.eventID
        guard body.seq == row.seq else {
            self.report(row.seq, id, .reordered, "seq \(row.seq) holds the event written at seq \(body.seq)")
            return false
        }
        guard AuditChain.hash(prev: row.prevHash, seq: row.seq, body: Data(row.body.utf8), key: self.key?.key(for: row.seq)) == row.hash else {
            self.report(row.seq, id, .edited, "seq \(row.seq): the content does not match its hash")
            return false
        }
        if let anchor = self.anchor, anchor.seq == row.seq, anchor.hash != row.hash {
            self.report(row.seq, id, .edited, "seq \(row.seq) was rewritten: the anchor kept outside the database at \(anchor.anchoredAt) records a different hash")
            return false
        }
        if let column = Self.mismatchedColumn(row, body.entry) {
            self.report(row.seq, id, .edited, "seq \(row.seq): column \(column) differs from the stored event")
            return false
        }
        if !gap {
            if let previous = self.previous, previous.intact, previous.hash != row.prevHash {
                self.report(previous.seq, previous.eventID, .edited,
                            "seq \(previous.seq) was rewritten: seq \(row.seq) was chained to a different hash")
            } else if self.previous == nil, row.prevHash != AuditChain.genesis {
                self.report(row.seq, id, .edited, "seq \(row.seq) was rewritten: the first event must follow the empty chain")
                return false
            }
        }
        return true
    }

    /// The first filter column whose value is not the body's.
    private static func mismatchedColumn(_ row: Row, _ entry: AuditLogEntry) -> String? {
        if row.eventID.uuidString.lowercased() != entry.eventID { return "event_id" }
        if row.recordedAt != entry.timestamp { return "recorded_at" }
        if row.action != entry.action { return "action" }
        if row.category != entry.category { return "category" }
        if row.severity != entry.severity.rawValue { return "severity" }
        if row.result != entry.result.rawValue { return "result" }
        if row.actorID != entry.actor.userID { return "actor_id" }
        return nil
    }

    /// Compares the chain's end with the head and returns the verdict.
    mutating func finish() -> AuditVerification {
        let last = self.expected - 1
        if self.headSeq > last {
            let newest = last == 0 ? "the table is empty" : "the newest row is seq \(last)"
            self.report(self.headSeq, nil, .truncated, "the chain head records seq \(self.headSeq) but \(newest): the newest rows were deleted")
        } else if let row = self.headRow, row.intact, row.hash != self.headHash,
                  !self.problems.contains(where: { $0.seq == Int(row.seq) && $0.kind == .edited }) {
            self.report(row.seq, row.eventID, .edited, "seq \(row.seq) was rewritten: the chain head records a different hash")
        }
        if let anchor = self.anchor, anchor.seq > max(last, self.headSeq) {
            let newest = last == 0 ? "the table is empty" : "the newest row is seq \(last)"
            self.report(anchor.seq, nil, .truncated,
                        "the anchor kept outside the database at \(anchor.anchoredAt) records seq \(anchor.seq) but \(newest): the newest rows were deleted and the head moved back")
        }
        return AuditVerification(
            valid: self.problems.isEmpty, checked: self.checked, headSeq: Int(self.headSeq), problems: self.problems,
            keyedFromSeq: self.key.map { Int($0.keyedFromSeq) }, anchorSeq: self.anchor.map { Int($0.seq) }, anchoredAt: self.anchor?.anchoredAt)
    }

    private mutating func report(_ seq: Int64, _ eventID: String?, _ kind: AuditProblem.Kind, _ message: String) {
        guard self.problems.count < AuditVerification.problemLimit else { return }
        self.problems.append(AuditProblem(seq: Int(seq), eventID: eventID, kind: kind, message: message))
    }
}
