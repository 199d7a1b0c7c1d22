import Foundation
import OrcastraModels
import PostgresNIO

extension UsageLedger {
    /// Whose usage a caller sees: admins everyone's; partners that of their organizations and
    /// of every instance on their clusters; everyone that of the projects they are members of.
    struct Scope: Sendable {
        var everyone: Bool
        /// Rows of organizations this user owns and projects they are a member of.
        var user: UUID?
        /// Rows on clusters this user owns (partners).
        var clusterOwner: UUID?

        /// Every row, for what the API computes for everyone (a closed month's statement).
        static let everything = Scope(everyone: true, user: nil, clusterOwner: nil)

        init(everyone: Bool, user: UUID?, clusterOwner: UUID?) {
            (self.everyone, self.user, self.clusterOwner) = (everyone, user, clusterOwner)
        }

        init(_ caller: Identity) {
            self.everyone = caller.role == .admin
            self.user = caller.role == .admin ? nil : caller.id
            self.clusterOwner = caller.role == .partner ? caller.id : nil
        }
    }

    /// A ledger row with the names it is reported under (nil where the thing is gone).
    struct Row: Sendable {
        var at: Date
        var clusterID: UUID
        var clusterName: String?
        var key: Key
        var event: UsageEvent
        var state: UsageState
        var projectID: UUID?
        var projectName: String?
        var organizationID: UUID?
        var organizationName: String?
    }

    /// A stretch in which a cluster's state was not known.
    struct Gap: Sendable, Encodable {
        var clusterID: UUID
        var clusterName: String?
        var startedAt: Date
        /// nil while the cluster is still out of reach.
        var endedAt: Date?
        var reason: String

        enum CodingKeys: String, CodingKey {
            case clusterID = "cluster_id", clusterName = "cluster_name", startedAt = "started_at", endedAt = "ended_at", reason
        }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(self.clusterID, forKey: .clusterID)
            try c.encode(self.clusterName, forKey: .clusterName)
            try c.encode(self.startedAt, forKey: .startedAt)
            try c.encode(self.endedAt, forKey: .endedAt)
            try c.encode(self.reason, forKey: .reason)
        }
    }

    /// The rows that say what the caller's instances held during [from, to): each instance's
    /// last row before `from` (unless it says deleted) and its rows inside, ordered by
    /// instance, then time.
    func rows(from: Date, to: Date, scope: Scope) async throws -> [Row] {
        let rows = try await self.client.boundedQuery("""
            WITH before AS (
                SELECT DISTINCT ON (cluster_id, lxd_project, instance) *
                FROM usage_ledger WHERE at < \(from)
                ORDER BY cluster_id, lxd_project, instance, at DESC, id DESC
            ), relevant AS (
                SELECT * FROM before WHERE event <> 'deleted'
                UNION ALL
                SELECT * FROM usage_ledger WHERE at >= \(from) AND at < \(to)
            )
            SELECT l.at, l.cluster_id, c.name, l.lxd_project, l.instance, l.event, l.running, l.vcpus, l.memory_bytes, l.disk_bytes,
                   l.project_id, p.name, l.organization_id, o.name
            FROM relevant l
            LEFT JOIN clusters c ON c.id = l.cluster_id
            LEFT JOIN projects p ON p.id = l.project_id
            LEFT JOIN organizations o ON o.id = l.organization_id
            WHERE \(scope.everyone) OR o.owner_id = \(scope.user) OR c.owner_id = \(scope.clusterOwner)
               OR EXISTS (SELECT 1 FROM project_members m WHERE m.project_id = l.project_id AND m.user_id = \(scope.user))
            ORDER BY l.cluster_id, l.lxd_project, l.instance, l.at, l.id
            """, logger: self.logger)
        var found: [Row] = []
        for try await (at, cluster, clusterName, lxdProject, instance, event, running, vcpus, memory, disk, project, projectName, organization, organizationName)
            in rows.decode((Date, UUID, String?, String, String, String, Bool, Int, Int64, Int64, UUID?, String?, UUID?, String?).self) {
            found.append(Row(at: at, clusterID: cluster, clusterName: clusterName, key: Key(lxdProject: lxdProject, instance: instance),
                             event: UsageEvent(rawValue: event) ?? .observed,
                             state: UsageState(running: running, vcpus: vcpus, memoryBytes: memory, diskBytes: disk),
                             projectID: project, projectName: projectName, organizationID: organization, organizationName: organizationName))
        }
        return found
    }

    /// What the caller's instances used over [from, to), grouped `by` (per UTC day with
    /// `perDay`; only `organization`'s rows when given), and the gaps of the clusters it covers.
    func usage(from: Date, to: Date, scope: Scope, by grouping: UsageReport.Grouping, perDay: Bool = false,
               organization: UUID? = nil) async throws -> (lines: [UsageReport.Line], gaps: [Gap]) {
        var rows = to > from ? try await self.rows(from: from, to: to, scope: scope) : []
        if let organization { rows.removeAll { $0.organizationID != organization } }
        let gaps = try await self.gaps(from: from, to: to, clusters: Array(Set(rows.map(\.clusterID))))
        let lines = perDay ? UsageReport.linesPerDay(rows, gaps: gaps, from: from, to: to, by: grouping)
            : UsageReport.lines(rows, gaps: gaps, from: from, to: to, by: grouping)
        return (lines, gaps)
    }

    /// The gaps of `clusters` that overlap [from, to).
    func gaps(from: Date, to: Date, clusters: [UUID]) async throws -> [Gap] {
        let rows = try await self.client.boundedQuery("""
            SELECT g.cluster_id, c.name, g.started_at, g.ended_at, g.reason FROM usage_gaps g LEFT JOIN clusters c ON c.id = g.cluster_id
            WHERE g.cluster_id = ANY(\(clusters)) AND g.started_at < \(to) AND (g.ended_at IS NULL OR g.ended_at > \(from))
            ORDER BY g.started_at, g.id
            """, logger: self.logger)
        return try await rows.decode((UUID, String?, Date, Date?, String).self).all().map {
            Gap(clusterID: $0.0, clusterName: $0.1, startedAt: $0.2, endedAt: $0.3, reason: $0.4)
        }
    }
}
