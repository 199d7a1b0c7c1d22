import Foundation
import OrcastraRuntime

/// A usage report as written out: JSON (`from`, `to`, `counted_until`, `group_by`, `lines`,
/// `totals`, `gaps`) or CSV (a header, one row per line, a `total` row; gaps are in JSON only),
/// in chunks of a few hundred lines.
struct UsageOutput: Sendable {
    let query: UsageQuery
    /// The report counts up to here: `to`, or now when `to` is later.
    let countedUntil: Date
    let lines: [UsageReport.Line]
    let gaps: [UsageLedger.Gap]

    static let chunk = 250

    /// The name columns of this report (a report per day starts with the day).
    var names: [String] {
        (self.query.perDay ? ["day"] : [])
            + ["organization_id", "organization_name", "project_id", "project_name", "cluster_id", "cluster_name", "lxd_project", "instance"]
    }

    /// A line's values of `names` (nil where the grouping has none); ids as the API's other
    /// answers write them.
    func names(of line: UsageReport.Line) -> [String?] {
        (self.query.perDay ? [line.day] : [])
            + [line.organizationID?.uuidString, line.organizationName, line.projectID?.uuidString, line.projectName,
               line.clusterID?.uuidString, line.clusterName, line.lxdProject, line.instance]
    }

    var totals: UsageReport.Amounts {
        self.lines.reduce(into: UsageReport.Amounts()) { $0.add($1.amounts) }
    }

    var fileStem: String {
        let day = ISO8601DateFormatter()
        day.formatOptions = [.withFullDate]
        return "\(day.string(from: self.query.from))-\(day.string(from: self.query.to))-by-\(self.query.grouping.rawValue)"
    }

    func json() throws -> [String] {
        let encoder = JSONCoding.encoder
        let head = Fields([("from", .time(self.query.from)), ("to", .time(self.query.to)), ("counted_until", .time(self.countedUntil)),
                           ("group_by", .text(self.query.grouping.rawValue))])
        var chunks = [String(String(decoding: try encoder.encode(head), as: UTF8.self).dropLast()) + #","lines":["#]
        for start in stride(from: 0, to: self.lines.count, by: Self.chunk) {
            let part = self.lines[start..<min(start + Self.chunk, self.lines.count)].map { line in
                Fields(zip(self.names, self.names(of: line)).map { ($0, $1.map(Fields.Value.text) ?? .null) }
                       + line.amounts.hours.map { ($0.0, .number($0.1)) })
            }
            let array = String(decoding: try encoder.encode(part), as: UTF8.self)
            chunks.append((start == 0 ? "" : ",") + String(array.dropFirst().dropLast()))
        }
        let totals = String(decoding: try encoder.encode(Fields(self.totals.hours.map { ($0.0, .number($0.1)) })), as: UTF8.self)
        let gaps = String(decoding: try encoder.encode(self.gaps), as: UTF8.self)
        chunks.append(#"],"totals":"# + totals + #","gaps":"# + gaps + "}")
        return chunks
    }

    /// A JSON object of named values, for lines whose keys depend on the report.
    struct Fields: Encodable {
        enum Value {
            case text(String), number(Double), time(Date), null
        }

        struct Key: CodingKey {
            var stringValue: String
            var intValue: Int? { nil }
            init(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }

        var pairs: [(String, Value)]

        init(_ pairs: [(String, Value)]) { self.pairs = pairs }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: Key.self)
            for (name, value) in self.pairs {
                let key = Key(stringValue: name)
                switch value {
                case .text(let text): try c.encode(text, forKey: key)
                case .number(let number): try c.encode(number, forKey: key)
                case .time(let time): try c.encode(time, forKey: key)
                case .null: try c.encodeNil(forKey: key)
                }
            }
        }
    }

    func csv() -> [String] {
        let amounts = UsageReport.Amounts().hours.map(\.0)
        var chunks: [String] = []
        var chunk = (self.names + amounts).joined(separator: ",") + "\r\n"
        for (index, line) in self.lines.enumerated() {
            chunk += (self.names(of: line).map { Self.csvField($0 ?? "") } + line.amounts.hours.map { Self.number($0.1) }).joined(separator: ",") + "\r\n"
            if (index + 1) % Self.chunk == 0 {
                chunks.append(chunk)
                chunk = ""
            }
        }
        let blanks = Array(repeating: "", count: self.names.count - 1)
        chunk += (["total"] + blanks + self.totals.hours.map { Self.number($0.1) }).joined(separator: ",") + "\r\n"
        chunks.append(chunk)
        return chunks
    }

    /// A number as JSON writes it (no exponent for the magnitudes a report holds).
    static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }

    /// RFC 4180 quoting; a field a spreadsheet would run as a formula gets a leading `'`.
    static func csvField(_ text: String) -> String {
        var text = text
        if let first = text.first, "=+-@\t\r".contains(first) { text = "'" + text }
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
