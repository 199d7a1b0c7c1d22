import Foundation
import Hummingbird
import OrcastraModels
import OrcastraRuntime

/// The query of `GET /audit-log`, validated: every bad value is a 400 naming its parameter,
/// so nothing malformed reaches PostgreSQL (where it would be a 500).
struct AuditLogFilter: Sendable, Equatable {
    /// RFC 3339 bounds on `recorded_at`, inclusive; passed to PostgreSQL as written, so a
    /// microsecond `recorded_at` copied from a record matches exactly.
    var since: String?
    var until: String?
    /// The actor's `user_id`.
    var actor: String?
    var action: String?
    var result: AuditResult?
    var limit: Int = Self.defaultLimit
    /// Only events older than this `seq` (from the cursor).
    var before: Int64?

    static let defaultLimit = PageRequest.defaultLimit
    static let maxLimit = PageRequest.maxLimit
    /// Longer actor or action values cannot match anything the API records.
    static let maxTextLength = 256

    init(since: String? = nil, until: String? = nil, actor: String? = nil, action: String? = nil,
         result: AuditResult? = nil, limit: Int = Self.defaultLimit, before: Int64? = nil) {
        self.since = since
        self.until = until
        self.actor = actor
        self.action = action
        self.result = result
        self.limit = limit
        self.before = before
    }

    /// Reads and checks the query parameters.
    init(query: Parameters) throws(APIError) {
        if let since = query["since"].map(String.init) {
            guard RFC3339.isValid(since) else { throw Self.invalid("since", "must be an RFC 3339 timestamp such as 2025-01-31T12:00:00Z") }
            self.since = since
        }
        if let until = query["until"].map(String.init) {
            guard RFC3339.isValid(until) else { throw Self.invalid("until", "must be an RFC 3339 timestamp such as 2025-01-31T12:00:00Z") }
            self.until = until
        }
        self.actor = try Self.text(query, "actor")
        self.action = try Self.text(query, "action")
        if let raw = query["result"].map(String.init) {
            guard let result = AuditResult(rawValue: raw) else {
                throw Self.invalid("result", "must be one of \(AuditResult.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            self.result = result
        }
        self.limit = try PageRequest.limit(in: query)
        if let raw = query["cursor"].map(String.init) {
            guard let seq = AuditCursor.decode(raw) else { throw Self.invalid("cursor", "must be the next_cursor of a page (a number)") }
            self.before = seq
        }
    }

    private static func text(_ query: Parameters, _ name: String) throws(APIError) -> String? {
        guard let value = query[Substring(name)].map(String.init) else { return nil }
        guard !value.isEmpty, value.count <= Self.maxTextLength else {
            throw Self.invalid(name, "must be between 1 and \(Self.maxTextLength) characters")
        }
        return value
    }

    private static func invalid(_ name: String, _ reason: String) -> APIError {
        APIError(.badRequest, code: "invalid_parameter", message: "The query parameter \(name) \(reason).")
    }
}

/// The `cursor` of the audit log: the `seq` of the last event on the page, in decimal, so the
/// next page is "older than that" and stays stable while new events arrive. Plain digits, so
/// that the OpenAPI document can state exactly which strings are cursors (`^[1-9][0-9]{0,17}$`)
/// and every string it allows is one the endpoint takes.
enum AuditCursor {
    static func encode(_ seq: Int64) -> String { String(seq) }

    static func decode(_ cursor: String) -> Int64? {
        let digits = cursor.utf8
        guard (1...18).contains(digits.count), digits.first != UInt8(ascii: "0"),
              digits.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) else { return nil }
        return Int64(cursor)
    }
}

/// Strict RFC 3339 date-times (`2025-01-31T12:00:00Z`, `…12:00:00.5+02:00`) that PostgreSQL
/// also accepts; checked field by field so a 31st of February is refused here, not by the
/// database.
enum RFC3339 {
    static func isValid(_ text: String) -> Bool {
        let pattern = /(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-](\d{2}):(\d{2}))/
        guard let m = text.wholeMatch(of: pattern),
              let year = Int(m.1), let month = Int(m.2), let day = Int(m.3),
              let hour = Int(m.4), let minute = Int(m.5), let second = Int(m.6) else { return false }
        guard year >= 1, (1...12).contains(month), hour < 24, minute < 60, second <= 60 else { return false }
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
        guard (1...days).contains(day) else { return false }
        if let offsetHours = m.9.flatMap({ Int($0) }), let offsetMinutes = m.10.flatMap({ Int($0) }) {
            // PostgreSQL refuses displacements past 15:59.
            guard offsetHours <= 15, offsetMinutes < 60 else { return false }
        }
        return true
    }
}
