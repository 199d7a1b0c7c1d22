import Foundation
import Logging
import OrcastraModels
import ServiceLifecycle

/// Keeps the usage ledger in step with the clusters.
///
/// Changes Orcastra makes are recorded as their operations end (`observe`), at that moment.
/// Changes made elsewhere (LXD's own tools, another manager) are found by the scan: every
/// `USAGE_RESCAN_SECONDS` each cluster's instances are read whole, in every project, and
/// compared with the ledger; what differs is recorded at the scan. A cluster that cannot be
/// read opens a gap from its last good scan, closed by the next good one, and its instances
/// are counted for none of that time.
struct UsageRecorder: Service {
    let ledger: UsageLedger
    let clusters: ClusterService
    /// nil: no periodic scan (only `POST /api/v1/reports/usage/scan`).
    let interval: Duration?
    let logger: Logger

    /// Scans at once, then every interval until the API stops (it runs only with an
    /// interval: a service that returns would stop the API).
    func run() async throws {
        guard let interval = self.interval else { return }
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            do {
                for cluster in try await self.clusters.list(in: .everyone) { _ = await self.scan(cluster) }
            } catch {
                self.logger.warning("the usage scan could not list the clusters; retrying at the next scan", metadata: ["error": "\(error)"])
            }
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            } catch { break }
        }
    }

    /// Reads `cluster`'s instances whole and records what changed; a cluster that cannot be
    /// read opens (or keeps open) its gap. Answers what it found.
    func scan(_ cluster: Cluster) async -> UsageScan {
        let instances: [LXD.MeteredInstance]
        do {
            instances = try await self.clusters.reader(for: cluster).meteredInstances()
        } catch {
            let reason = (error as? ClusterError)?.description ?? "\(error)"
            self.logger.warning("usage: cluster unreachable; its usage is not counted until it answers", metadata: [
                "cluster": "\(cluster.name)", "error": "\(reason)",
            ])
            do { try await self.ledger.unreachable(cluster: cluster.id, at: self.ledger.now(), reason: reason) } catch {
                self.logger.error("usage: the gap could not be recorded", metadata: ["cluster": "\(cluster.name)", "error": "\(error)"])
            }
            return UsageScan(clusterID: cluster.id, clusterName: cluster.name, reachable: false, instances: 0, recorded: 0, error: reason)
        }
        let at = self.ledger.now()
        var observed: [UsageLedger.Key: UsageState?] = [:]
        for instance in instances {
            observed[UsageLedger.Key(lxdProject: instance.project ?? "default", instance: instance.name)] = UsageState(instance)
        }
        do {
            let written = try await self.ledger.record(cluster: cluster.id, observed: observed, whole: true, source: .rescan, at: at)
            try await self.ledger.scanned(cluster: cluster.id, at: at, stale: self.interval.map { $0 * 2 + .seconds(60) })
            if written > 0 {
                self.logger.info("usage: changes made outside Orcastra recorded", metadata: ["cluster": "\(cluster.name)", "rows": "\(written)"])
            }
            return UsageScan(clusterID: cluster.id, clusterName: cluster.name, reachable: true, instances: instances.count, recorded: written, error: nil)
        } catch {
            self.logger.error("usage: the scan could not be recorded", metadata: ["cluster": "\(cluster.name)", "error": "\(error)"])
            return UsageScan(clusterID: cluster.id, clusterName: cluster.name, reachable: true, instances: instances.count, recorded: 0,
                             error: "the ledger could not be written")
        }
    }
}

/// What one cluster's scan found.
struct UsageScan: Sendable, Encodable {
    var clusterID: UUID
    var clusterName: String
    var reachable: Bool
    var instances: Int
    /// Ledger rows written: changes the ledger did not know of.
    var recorded: Int
    var error: String?

    enum CodingKeys: String, CodingKey {
        case clusterID = "cluster_id", clusterName = "cluster_name", reachable, instances, recorded, error
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(self.clusterID, forKey: .clusterID)
        try c.encode(self.clusterName, forKey: .clusterName)
        try c.encode(self.reachable, forKey: .reachable)
        try c.encode(self.instances, forKey: .instances)
        try c.encode(self.recorded, forKey: .recorded)
        try c.encode(self.error, forKey: .error)
    }
}

extension UsageLedger {
    /// Records the state of the instance an Orcastra operation on `cluster` just changed,
    /// read back from LXD (a deleted one is recorded gone). A failure is logged, never the
    /// operation's: the next scan finds what this missed.
    func observe(cluster: Cluster, lxdProject: String, instance: String, deleted: Bool, driver: ClusterDriver) async {
        let at = self.now()
        do {
            let state: UsageState? = deleted ? nil : UsageState(try await driver.useProject(lxdProject).meteredInstance(instance))
            try await self.record(cluster: cluster.id, observed: [Key(lxdProject: lxdProject, instance: instance): state], whole: false,
                                  source: .orcastra, at: at)
        } catch {
            self.logger.warning("usage: an operation's result could not be recorded; the next scan will", metadata: [
                "cluster": "\(cluster.name)", "instance": "\(instance)", "error": "\(error)",
            ])
        }
    }
}
