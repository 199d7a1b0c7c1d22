import Foundation

/// What one drill saw, judged by the rules every drill shares:
/// - no request took longer than the deadline, and none went unanswered;
/// - every failure was a 503 or 504 in the shape its route owes (`SteadyLoad.shape`);
/// - nothing failed before the fault, and everything succeeded again in the last seconds of
///   the window (recovered without a restart);
/// - the audit trail gained exactly one row per acknowledged key change, and the keys listed
///   are the ledger's (`KeyWriter`).
struct DrillOutcome: Sendable {
    var drill: String
    var deadline: Duration
    var samples: [SteadyLoad.Sample]
    var ledger: KeyWriter.Ledger
    var auditBefore: Int
    var auditAfter: Int
    var problems: [String] = []

    var worst: Duration { self.samples.map(\.elapsed).max() ?? .zero }

    /// `200×1800 503×120`: how often each status was answered.
    var statuses: String {
        Dictionary(grouping: self.samples, by: \.status).sorted { $0.key < $1.key }
            .map { "\($0.key)×\($0.value.count)" }.joined(separator: " ")
    }

    /// Applies the rules; `fault` is when the fault began, `settled` when everything must
    /// succeed again (both from the start of the load).
    mutating func judge(fault: Duration, settled: Duration, keyChanges: Int, listed: Set<String>) {
        if self.samples.count < 100 { self.problems.append("only \(self.samples.count) requests were made") }
        if let slowest = self.samples.max(by: { $0.elapsed < $1.elapsed }), slowest.elapsed > self.deadline {
            self.problems.append("\(slowest.path) took \(Self.seconds(slowest.elapsed)) (answered \(slowest.status))")
        }
        let failed = self.samples.filter { !(200..<300).contains($0.status) }
        let wrong = failed.filter { ![503, 504].contains($0.status) || !$0.shaped }
        if !wrong.isEmpty {
            self.problems.append("\(wrong.count) failures not a 503/504 in their route's shape, e.g. "
                + wrong.prefix(3).map { "\($0.path) \($0.status) \($0.code ?? "")" }.joined(separator: ", "))
        }
        // The load's clock starts a moment after the drill's: half a second of margin.
        let early = failed.filter { $0.sent < fault - .milliseconds(500) }
        if !early.isEmpty { self.problems.append("\(early.count) failures before the fault, e.g. \(early[0].path) \(early[0].status)") }
        let late = failed.filter { $0.sent >= settled }
        if !late.isEmpty { self.problems.append("not recovered: \(late.count) failures after \(Self.seconds(settled)), e.g. \(late[0].path) \(late[0].status) \(late[0].code ?? "")") }
        self.problems += self.ledger.unexpected
        if self.auditAfter - self.auditBefore != keyChanges {
            self.problems.append("audit rows of key changes went from \(self.auditBefore) to \(self.auditAfter); \(keyChanges) changes were acknowledged")
        }
        if listed != Set(self.ledger.live) {
            self.problems.append("keys listed \(listed.sorted()) are not the acknowledged ones \(self.ledger.live.sorted())")
        }
    }

    static func seconds(_ duration: Duration) -> String {
        String(format: "%.2f s", Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18)
    }

    static func table(_ outcomes: [DrillOutcome]) -> String {
        var lines = ["| drill | deadline | worst latency | statuses seen | key-change audit rows before → after | key changes acknowledged / refused | outcome |",
                     "|---|---|---|---|---|---|---|"]
        for o in outcomes {
            lines.append("| \(o.drill) | \(Self.seconds(o.deadline)) | \(Self.seconds(o.worst)) | \(o.statuses) | \(o.auditBefore) → \(o.auditAfter) "
                + "| \(o.ledger.acknowledged) / \(o.ledger.refused) | \(o.problems.isEmpty ? "ok" : o.problems.joined(separator: "; ")) |")
        }
        return lines.joined(separator: "\n")
    }
}
