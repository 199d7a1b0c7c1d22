import Foundation
import Logging
import OrcastraModels
import OrcastraRuntime
import PostgresNIO

/// Reads pages of the audit log, newest first, with every filter value a bound parameter.
///
/// One fixed statement serves every combination of filters (`$n IS NULL OR …`, the casts
/// because an absent filter is bound as an untyped NULL); PostgreSQL
/// plans the unnamed statement with the actual values, so a missing filter costs nothing and
/// the `(column, seq DESC)` indexes serve the ones given. Pages are keyed on `seq`, so events
/// appended while someone pages do not shift the pages they have not read yet.
struct AuditLogRepository: Sendable {
    let client: PostgresClient

    func list(_ filter: AuditLogFilter, logger: Logger) async throws -> AuditRecordPage {
        let result = filter.result?.rawValue
        let rows = try await self.client.boundedQuery(
            """
            SELECT seq, body FROM audit_events
            WHERE (CAST(\(filter.before) AS bigint) IS NULL OR seq < \(filter.before))
              AND (CAST(\(filter.since) AS text) IS NULL OR recorded_at >= CAST(\(filter.since) AS timestamptz))
              AND (CAST(\(filter.until) AS text) IS NULL OR recorded_at <= CAST(\(filter.until) AS timestamptz))
              AND (CAST(\(filter.actor) AS text) IS NULL OR actor_id = \(filter.actor))
              AND (CAST(\(filter.action) AS text) IS NULL OR action = \(filter.action))
              AND (CAST(\(result) AS text) IS NULL OR result = \(result))
            ORDER BY seq DESC
            LIMIT \(filter.limit + 1)
            """, logger: logger)
        var items: [AuditRecord] = []
        var more = false
        for try await (seq, text) in rows.decode((Int64, String).self) {
            guard items.count < filter.limit else {
                more = true
                continue
            }
            guard let body = AuditChain.decode(text) else { throw AuditRowUnreadable(seq: seq) }
            var record = AuditRecord(body)
            record.seq = Int(seq)
            items.append(record)
        }
        let cursor = more ? items.last.map { AuditCursor.encode(Int64($0.seq)) } : nil
        return AuditRecordPage(items: items, nextCursor: cursor)
    }
}

/// A stored event whose body is no longer a readable event: the table was tampered with.
/// Answered 500 (and logged by `ErrorMiddleware` with the seq), pointing at the check that
/// says what changed.
struct AuditRowUnreadable: APIErrorConvertible, CustomStringConvertible {
    var seq: Int64
    var description: String { "audit event \(self.seq) cannot be read" }
    var apiError: APIError {
        APIError(.internalServerError, code: "audit_row_unreadable",
                 message: "Audit event \(self.seq) cannot be read; GET /api/v1/audit-log/verify reports what changed.")
    }
}
