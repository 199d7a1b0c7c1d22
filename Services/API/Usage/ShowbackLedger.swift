import Foundation
import Logging
import OrcastraModels
import OrcastraRuntime
import PostgresNIO

/// Monthly statements: an open month is computed as asked, at the rates of now; a closed month
/// is computed once, for the whole organization, at the rates in effect at its end, stored
/// (`showback_statements`, audited as `usage.statement_closed`), and from then on answered as
/// stored, whatever happens to rates or the ledger later.
struct ShowbackLedger: Sendable {
    let usage: UsageLedger
    let rates: RateStore
    let audit: AuditTrail

    var client: PostgresClient { self.usage.client }
    var logger: Logger { self.usage.logger }

    /// The month `YYYY-MM` as [start, end) in UTC.
    static func period(of month: String) throws(APIError) -> (from: Date, to: Date) {
        let invalid = APIError(.badRequest, code: "invalid_parameter", message: "The query parameter month must be a month such as 2026-11.")
        guard let match = month.wholeMatch(of: /(\d{4})-(\d{2})/), let year = Int(match.1), let number = Int(match.2), (1...12).contains(number), year >= 1970 else {
            throw invalid
        }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        guard let from = calendar.date(from: DateComponents(year: year, month: number, day: 1)),
              let to = calendar.date(byAdding: .month, value: 1, to: from) else { throw invalid }
        return (from, to)
    }

    /// The statements of `month` the caller may read: one per organization with usage they
    /// see (limited to their projects), and one without organization for what ran outside any
    /// project (admins and cluster owners only).
    func statements(month: String, for caller: Identity) async throws -> [ShowbackStatement] {
        let (from, to) = try Self.period(of: month)
        let now = self.usage.now()
        guard from < now else {
            throw APIError(.badRequest, code: "invalid_parameter", message: "The query parameter month must not be a month that has not begun.")
        }
        let closed = to <= now
        let until = min(to, now)
        let visible = try await self.usage.usage(from: from, to: until, scope: .init(caller), by: .project).lines
        var statements: [ShowbackStatement] = []
        for (organization, lines) in Dictionary(grouping: visible, by: \.organizationID).sorted(by: { ($0.value.first?.organizationName ?? "\u{10FFFF}") < ($1.value.first?.organizationName ?? "\u{10FFFF}") }) {
            let name = lines.first?.organizationName
            guard let organization else {
                statements.append(ShowbackStatement(organizationID: nil, organizationName: nil, month: month, closed: closed, closedAt: nil, rates: nil, usage: lines))
                continue
            }
            let whole = closed
                ? try await self.closedStatement(of: organization, named: name, month: month, from: from, to: to)
                : ShowbackStatement(organizationID: organization, organizationName: name, month: month, closed: false, closedAt: nil,
                                    rates: try await self.rates.rates(of: organization, at: now), usage: lines)
            statements.append(whole.limited(to: Set(lines.map(\.projectID))))
        }
        return statements
    }

    /// The stored statement of a closed month, written now if it is the first time it is asked.
    private func closedStatement(of organization: UUID, named name: String?, month: String, from: Date, to: Date) async throws -> ShowbackStatement {
        if let stored = try await self.stored(organization, from) { return stored }
        let statement = ShowbackStatement(
            organizationID: organization, organizationName: name, month: month, closed: true, closedAt: self.usage.now(),
            rates: try await self.rates.rates(of: organization, at: to.addingTimeInterval(-0.000_001)),
            usage: try await self.usage.usage(from: from, to: to, scope: .everything, by: .project, organization: organization).lines)
        let json = String(decoding: try JSONCoding.encoder.encode(statement), as: UTF8.self)
        try await self.audit.record(client: self.client, logger: self.logger) { transaction in
            let rows = try await transaction.query("""
                INSERT INTO showback_statements (organization_id, month, statement, closed_at) VALUES (\(organization), \(from), \(json)::jsonb, \(statement.closedAt))
                ON CONFLICT (organization_id, month) DO NOTHING RETURNING organization_id
                """, logger: self.logger)
            let inserted = try await rows.decode(UUID.self).all().isEmpty == false
            return ((), inserted ? AuditEvent(
                action: "usage.statement_closed", category: "tenancy", actor: .system,
                target: AuditTarget(type: "organization", id: organization.uuidString.lowercased()),
                details: ["month": month, "amount": statement.totals.amount.map { "\($0)" } ?? "", "currency": statement.rates?.currency ?? ""]) : nil)
        }
        // Another request may have closed it first: what is stored is the statement.
        return try await self.stored(organization, from) ?? statement
    }

    private func stored(_ organization: UUID, _ month: Date) async throws -> ShowbackStatement? {
        let rows = try await self.client.boundedQuery(
            "SELECT statement::text FROM showback_statements WHERE organization_id = \(organization) AND month = \(month)", logger: self.logger)
        for try await text in rows.decode(String.self) {
            return try JSONCoding.decoder.decode(ShowbackStatement.self, from: Data(text.utf8))
        }
        return nil
    }
}
