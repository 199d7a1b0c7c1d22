import Foundation
import OrcastraRuntime

/// The query of `GET /api/v1/reports/usage`: the period, the grouping and the format.
struct UsageQuery: Sendable, Equatable {
    var from: Date
    var to: Date
    var grouping: UsageReport.Grouping
    var csv: Bool
    /// `per=day`: each group's usage day by day (UTC), for a chart.
    var perDay: Bool

    /// The longest period one report covers.
    static let longest: TimeInterval = 366 * 86400

    /// `from` and `to` (required) are dates (`2026-11-01`, midnight UTC) or RFC 3339
    /// timestamps; `group_by` is `organization` (default), `project` or `instance`; `format`
    /// is `json` (default) or `csv`, which `Accept: text/csv` also selects; `per=day` splits
    /// each group's usage into UTC days.
    init(_ parameter: (String) -> String?, accept: String?) throws(APIError) {
        self.from = try Self.time(parameter("from"), named: "from")
        self.to = try Self.time(parameter("to"), named: "to")
        guard self.to > self.from else { throw Self.invalid("to", "must be later than from") }
        guard self.to.timeIntervalSince(self.from) <= Self.longest else { throw Self.invalid("to", "must be at most 366 days after from") }
        let grouping = parameter("group_by") ?? UsageReport.Grouping.organization.rawValue
        guard let parsed = UsageReport.Grouping(rawValue: grouping) else {
            throw Self.invalid("group_by", "must be organization, project or instance")
        }
        self.grouping = parsed
        switch parameter("per") {
        case nil: self.perDay = false
        case "day": self.perDay = true
        default: throw Self.invalid("per", "must be day (or left out for the whole period)")
        }
        switch parameter("format") {
        case nil: self.csv = accept?.contains("text/csv") ?? false
        case "json": self.csv = false
        case "csv": self.csv = true
        default: throw Self.invalid("format", "must be json or csv")
        }
    }

    static func time(_ text: String?, named name: String) throws(APIError) -> Date {
        guard let text, !text.isEmpty else { throw invalid(name, "is required: a date such as 2026-11-01 or an RFC 3339 timestamp") }
        if text.wholeMatch(of: /\d{4}-\d{2}-\d{2}/) != nil {
            let day = ISO8601DateFormatter()
            day.formatOptions = [.withFullDate]
            if let date = day.date(from: text), day.string(from: date) == text { return date }
        } else if RFC3339.isValid(text) {
            let stamp = ISO8601DateFormatter()
            stamp.formatOptions = text.contains(".") ? [.withInternetDateTime, .withFractionalSeconds] : [.withInternetDateTime]
            if let date = stamp.date(from: text) { return date }
        }
        throw invalid(name, "must be a date such as 2026-11-01 or an RFC 3339 timestamp such as 2026-11-01T00:00:00Z, not '\(text.prefix(40))'")
    }

    static func invalid(_ name: String, _ reason: String) -> APIError {
        APIError(.badRequest, code: "invalid_parameter", message: "The query parameter \(name) \(reason).")
    }
}
