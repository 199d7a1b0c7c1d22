import Foundation
import Logging
import OrcastraModels
import PostgresNIO

/// "Verify integrity": recomputes the whole hash chain from PostgreSQL and compares it with the
/// chain head (the high-water mark).
///
/// Rows are streamed in `seq` order (postgres-nio reads ahead only as fast as they are
/// checked), so a large table is never held in memory. The head and the rows are read in one
/// repeatable-read snapshot: events appended while the check runs are neither half-seen nor
/// mistaken for rows beyond the head.
///
/// The key and the newest anchor come from the secret store first: a sealed Vault makes the
/// check a 503 rather than a verdict reached without them. What it cannot see: someone holding
/// both the database and the secret store; the `log_type: "audit"` lines (events and
/// `audit.anchor` heads) already shipped to OpenSearch are the independent copy then.
struct AuditVerifier: Sendable {
    let client: PostgresClient
    let keys: AuditChainKeys
    /// Rows read per query.
    static let page = 2000

    func verify(logger: Logger) async throws -> AuditVerification {
        let key = try await self.keys.forVerify()
        let anchor = try await self.keys.store.read(AuditAnchor.path).flatMap { AuditAnchor(stored: $0.data) }
        return try await self.client.transaction(logger: logger) { connection in
            try await connection.query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY", logger: logger)
            var head: (Int64, Data)?
            for try await row in try await connection.query("SELECT seq, hash FROM audit_chain_head", logger: logger).decode((Int64, Data).self) {
                head = row
            }
            guard let (headSeq, headHash) = head else { throw AuditChainHeadMissing() }

            var check = AuditChainCheck(headSeq: headSeq, headHash: headHash, key: key, anchor: anchor)
            // A page at a time, in the transaction's one snapshot: each query stays short
            // (every query of a transaction is bounded) and memory holds one page.
            var after = Int64.min
            while true {
                let rows = try await connection.query(
                    """
                    SELECT seq, event_id, to_char(recorded_at AT TIME ZONE 'UTC', \(AuditChain.timestampFormat)),
                           action, category, severity, result, actor_id, body, prev_hash, hash
                    FROM audit_events WHERE seq > \(after) ORDER BY seq LIMIT \(Self.page)
                    """, logger: logger)
                for try await (seq, eventID, recordedAt, action, category, severity, result, actorID, body, prevHash, hash) in rows.decode(
                    (Int64, UUID, String, String, String, String, String, String?, String, Data, Data).self
                ) {
                    check.check(AuditChainCheck.Row(
                        seq: seq, eventID: eventID, recordedAt: recordedAt, action: action, category: category, severity: severity,
                        result: result, actorID: actorID, body: body, prevHash: prevHash, hash: hash
                    ))
                    after = seq
                }
                if rows.rows.count < Self.page { break }
            }
            return check.finish()
        }
    }
}
