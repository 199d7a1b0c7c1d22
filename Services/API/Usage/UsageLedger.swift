import Foundation
import Logging
import OrcastraRuntime
import PostgresNIO

/// The `usage_ledger`, `usage_gaps` and `usage_scans` tables: what each instance held from
/// when, and when a cluster's state was not known.
///
/// A row is written only when an instance's metered state changes, so a period's usage is the
/// sum of the stretches between rows. Writes for one cluster take a transaction-scoped lock on
/// it, so a scan and an operation ending at once cannot both record the same change.
struct UsageLedger: Sendable {
    let client: PostgresClient
    let logger: Logger
    let now: @Sendable () -> Date

    /// An instance of a cluster.
    struct Key: Hashable, Sendable {
        var lxdProject: String
        var instance: String
    }

    enum Source: String, Sendable {
        /// An operation Orcastra ran and saw end.
        case orcastra
        /// LXD's lifecycle event of a change made elsewhere, as it happened.
        case event
        /// Found by the scan: the change happened after the previous scan, at or before this one.
        case rescan
    }

    /// Records what `observed` says of instances of `cluster` at `at` (nil: the instance is
    /// gone), each only where it differs from the ledger's latest row. With `whole` (a read of
    /// every project of the cluster), instances the ledger holds that are missing from
    /// `observed` are recorded deleted. Answers the rows written.
    @discardableResult
    func record(cluster: UUID, observed: [Key: UsageState?], whole: Bool, source: Source, at: Date) async throws -> Int {
        try await self.client.transaction(logger: self.logger) { transaction in
            try await transaction.query("SELECT pg_advisory_xact_lock(hashtextextended(\(cluster.uuidString), 17))", logger: self.logger)
            var latest: [Key: UsageState] = [:]
            let projects = whole ? nil : Array(Set(observed.keys.map(\.lxdProject)))
            let instances = whole ? nil : Array(Set(observed.keys.map(\.instance)))
            let rows = try await transaction.query("""
                SELECT DISTINCT ON (lxd_project, instance) lxd_project, instance, event, running, vcpus, memory_bytes, disk_bytes
                FROM usage_ledger
                WHERE cluster_id = \(cluster) AND (\(projects)::text[] IS NULL OR lxd_project = ANY(\(projects)))
                  AND (\(instances)::text[] IS NULL OR instance = ANY(\(instances)))
                ORDER BY lxd_project, instance, at DESC, id DESC
                """, logger: self.logger)
            for try await (project, instance, event, running, vcpus, memory, disk) in rows.decode((String, String, String, Bool, Int, Int64, Int64).self)
            where event != UsageEvent.deleted.rawValue {
                latest[Key(lxdProject: project, instance: instance)] = UsageState(running: running, vcpus: vcpus, memoryBytes: memory, diskBytes: disk)
            }
            var owners: [String: (project: UUID, organization: UUID)] = [:]
            let attribution = try await transaction.query(
                "SELECT lxd_project, id, organization_id FROM projects WHERE cluster_id = \(cluster)", logger: self.logger)
            for try await (lxdProject, project, organization) in attribution.decode((String, UUID, UUID).self) {
                owners[lxdProject] = (project, organization)
            }
            var changes: [(Key, UsageEvent, UsageState?)] = []
            for key in Set(observed.keys).union(whole ? Set(latest.keys) : []) {
                let after = observed[key] ?? nil
                guard var event = UsageState.event(from: latest[key], to: after) else { continue }
                if event == .created && source == .rescan { event = .observed }
                changes.append((key, event, after))
            }
            for (key, event, state) in changes.sorted(by: { ($0.0.lxdProject, $0.0.instance) < ($1.0.lxdProject, $1.0.instance) }) {
                let state = state ?? UsageState(running: false, vcpus: 0, memoryBytes: 0, diskBytes: 0)
                let owner = owners[key.lxdProject]
                try await transaction.query("""
                    INSERT INTO usage_ledger (at, cluster_id, lxd_project, instance, event, running, vcpus, memory_bytes, disk_bytes,
                                              project_id, organization_id, source)
                    VALUES (\(at), \(cluster), \(key.lxdProject), \(key.instance), \(event.rawValue), \(state.running), \(state.vcpus),
                            \(state.memoryBytes), \(state.diskBytes), \(owner?.project), \(owner?.organization), \(source.rawValue))
                    """, logger: self.logger)
            }
            return changes.count
        }
    }

    /// The cluster's state was read whole at `at`: an open gap ends there. A previous read
    /// longer than `stale` ago (the API was down, or the scan stalled) leaves the time between
    /// unknown, so it is recorded as a gap too.
    func scanned(cluster: UUID, at: Date, stale: Duration?) async throws {
        try await self.client.transaction(logger: self.logger) { transaction in
            try await transaction.query("UPDATE usage_gaps SET ended_at = \(at) WHERE cluster_id = \(cluster) AND ended_at IS NULL", logger: self.logger)
            if let stale {
                let seconds = Double(stale.components.seconds)
                try await transaction.query("""
                    INSERT INTO usage_gaps (cluster_id, started_at, ended_at, reason)
                    SELECT cluster_id, scanned_at, \(at), 'not scanned in that time (Orcastra was not running or the scan stalled)'
                    FROM usage_scans WHERE cluster_id = \(cluster) AND scanned_at < \(at) - make_interval(secs => \(seconds))
                      AND NOT EXISTS (SELECT 1 FROM usage_gaps g WHERE g.cluster_id = \(cluster) AND g.ended_at = \(at))
                    """, logger: self.logger)
            }
            try await transaction.query("""
                INSERT INTO usage_scans (cluster_id, scanned_at) VALUES (\(cluster), \(at))
                ON CONFLICT (cluster_id) DO UPDATE SET scanned_at = EXCLUDED.scanned_at
                """, logger: self.logger)
        }
    }

    /// The cluster could not be read: a gap opens at the last time its state was known (the
    /// last whole read; `at` when there was none), unless one is open already.
    func unreachable(cluster: UUID, at: Date, reason: String) async throws {
        try await self.client.boundedQuery("""
            INSERT INTO usage_gaps (cluster_id, started_at, reason)
            VALUES (\(cluster), COALESCE((SELECT scanned_at FROM usage_scans WHERE cluster_id = \(cluster)), \(at)), \(String(reason.prefix(500))))
            ON CONFLICT (cluster_id) WHERE ended_at IS NULL DO NOTHING
            """, logger: self.logger)
    }
}
