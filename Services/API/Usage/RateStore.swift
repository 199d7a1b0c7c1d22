import Foundation
import Logging
import OrcastraModels
import OrcastraRuntime
import PostgresNIO

/// The `usage_rates` table: each change of an organization's rates, or of an owner's default
/// rates, is a new version from its moment on, audited; reading asks for the version in
/// effect at a given time.
struct RateStore: Sendable {
    let client: PostgresClient
    let audit: AuditTrail
    let logger: Logger

    /// The rates in effect for `organization` at `at`: its own, else its owner's default, else
    /// none.
    func rates(of organization: UUID, at: Date) async throws -> UsageRates? {
        let rows = try await self.client.boundedQuery("""
            SELECT CASE WHEN r.organization_id IS NULL THEN 'default' ELSE 'organization' END, r.currency, r.vcpu_hour::text,
                   r.memory_gib_hour::text, r.disk_gib_hour::text, r.running_only, r.effective_from
            FROM organizations o JOIN usage_rates r ON r.organization_id = o.id OR r.owner_id = o.owner_id
            WHERE o.id = \(organization) AND r.effective_from <= \(at)
            ORDER BY (r.organization_id IS NOT NULL) DESC, r.effective_from DESC, r.id DESC LIMIT 1
            """, logger: self.logger)
        return try await Self.rates(rows)
    }

    /// The default rates of `owner` in effect at `at`.
    func defaultRates(of owner: UUID, at: Date) async throws -> UsageRates? {
        let rows = try await self.client.boundedQuery("""
            SELECT 'default', currency, vcpu_hour::text, memory_gib_hour::text, disk_gib_hour::text, running_only, effective_from
            FROM usage_rates WHERE owner_id = \(owner) AND effective_from <= \(at) ORDER BY effective_from DESC, id DESC LIMIT 1
            """, logger: self.logger)
        return try await Self.rates(rows)
    }

    /// Sets rates from `at` on, for an organization or as `owner`'s default (exactly one).
    func set(_ rates: UsageRates, organization: UUID?, owner: UUID?, at: Date, by actor: Identity, requestID: String?) async throws -> UsageRates {
        var before: UsageRates?
        if let organization { before = try await self.rates(of: organization, at: at) } else if let owner { before = try await self.defaultRates(of: owner, at: at) }
        return try await self.audit.record(client: self.client, logger: self.logger) { transaction in
            try await transaction.query("""
                INSERT INTO usage_rates (organization_id, owner_id, currency, vcpu_hour, memory_gib_hour, disk_gib_hour, running_only, effective_from, set_by)
                VALUES (\(organization), \(owner), \(rates.currency), \("\(rates.vcpuHour)")::numeric, \("\(rates.memoryGiBHour)")::numeric,
                        \("\(rates.diskGiBHour)")::numeric, \(rates.runningOnly), \(at), \(actor.id))
                """, logger: self.logger)
            var stored = rates
            stored.source = organization == nil ? "default" : "organization"
            stored.effectiveFrom = at
            let target = organization.map { AuditTarget(type: "organization", id: $0.uuidString.lowercased()) }
                ?? AuditTarget(type: "user", id: owner?.uuidString.lowercased())
            return (stored, AuditEvent(action: organization == nil ? "usage.default_rates_set" : "usage.rates_set", category: "tenancy",
                                       actor: .init(actor), target: target, requestID: requestID,
                                       before: before.map(Self.auditFields), after: Self.auditFields(stored)))
        }
    }

    static func auditFields(_ rates: UsageRates) -> [String: String] {
        ["currency": rates.currency, "vcpu_hour": "\(rates.vcpuHour)", "memory_gib_hour": "\(rates.memoryGiBHour)",
         "disk_gib_hour": "\(rates.diskGiBHour)", "running_only": String(rates.runningOnly)]
    }

    private static func rates(_ rows: QueryRows) async throws -> UsageRates? {
        for try await (source, currency, vcpu, memory, disk, runningOnly, from) in rows.decode((String, String, String, String, String, Bool, Date).self) {
            return UsageRates(currency: currency, vcpuHour: Decimal(string: vcpu) ?? 0, memoryGiBHour: Decimal(string: memory) ?? 0,
                              diskGiBHour: Decimal(string: disk) ?? 0, runningOnly: runningOnly, source: source, effectiveFrom: from)
        }
        return nil
    }
}
