import Foundation
import Logging
import OrcastraModels
import ServiceLifecycle

/// Keeps the usage ledger in step with the clusters.
///
/// Changes Orcastra makes are recorded as their operations end (`observe`), at that moment.
/// Changes made elsewhere (LXD's own tools, another manager) arrive as LXD's lifecycle events:
/// each cluster's event stream is followed (`follow`), and an instance event records that
/// instance's state as it is then. What the stream cannot tell (a change while it was down,
/// an event lost) is found by the scan: on every (re)connection and every
/// `USAGE_RESCAN_SECONDS`, each cluster's instances are read whole, in every project, and
/// compared with the ledger; what differs is recorded at the scan. A cluster that cannot be
/// read opens a gap from its last good scan, closed by the next good one, and its instances
/// are counted for none of that time.
struct UsageRecorder: Service {
    let ledger: UsageLedger
    let clusters: ClusterService
    /// nil: no periodic scan (only `POST /api/v1/reports/usage/scan`).
    let interval: Duration?
    let logger: Logger

    /// How soon a newly registered cluster is followed (the list of clusters is read this often;
    /// an interval shorter than this is rounded up to it).
    static let discovery = Duration.seconds(5)

    /// Follows each registered cluster's events, and scans each every interval, until the API
    /// stops (it runs only with an interval: a service that returns would stop the API).
    func run() async throws {
        guard let interval = self.interval else { return }
        var following: [UUID: Task<Void, Never>] = [:]
        var scanned: [UUID: ContinuousClock.Instant] = [:]
        defer { for task in following.values { task.cancel() } }
        // The first look waits a moment: the API migrates its database as it starts.
        while (try? await cancelWhenGracefulShutdown({ try await Task.sleep(for: Self.discovery) })) != nil, !Task.isCancelled {
            do {
                let clusters = try await self.clusters.list(in: .everyone)
                let registered = Set(clusters.map(\.id))
                for (id, task) in following where !registered.contains(id) {
                    task.cancel()
                    (following[id], scanned[id]) = (nil, nil)
                }
                for cluster in clusters {
                    if following[cluster.id] == nil {
                        // Its first connection scans it.
                        following[cluster.id] = Task { await self.follow(cluster) }
                        scanned[cluster.id] = .now
                    } else if let last = scanned[cluster.id], ContinuousClock.now - last >= interval {
                        _ = await self.scan(cluster)
                        scanned[cluster.id] = .now
                    }
                }
            } catch {
                self.logger.warning("usage: the clusters could not be listed; retrying", metadata: ["error": "\(error)"])
            }
        }
    }

    /// Follows `cluster`'s lifecycle events until cancelled. Each connection first scans the
    /// cluster (catching up on what happened while not listening); each instance event then
    /// records that instance as it is. A closed or refused connection is tried again after
    /// 1 s, doubling to at most 30 s.
    func follow(_ cluster: Cluster) async {
        var pause = Duration.seconds(1)
        while !Task.isCancelled {
            do {
                let driver = try await self.clusters.driver(for: cluster)
                let events = try await driver.lifecycleEvents()
                pause = .seconds(1)
                self.logger.info("usage: following the cluster's lifecycle events", metadata: ["cluster": "\(cluster.name)"])
                _ = await self.scan(cluster)
                for try await event in events {
                    guard let (project, name) = event.instance else { continue }
                    await self.ledger.observe(cluster: cluster, lxdProject: project, instance: name,
                                              deleted: event.metadata.action == "instance-deleted", driver: driver, source: .event)
                }
                self.logger.warning("usage: the cluster closed its event stream; reconnecting", metadata: ["cluster": "\(cluster.name)"])
            } catch {
                if Task.isCancelled { return }
                self.logger.warning("usage: no event stream from the cluster; retrying", metadata: [
                    "cluster": "\(cluster.name)", "error": "\((error as? ClusterError)?.description ?? "\(error)")", "retry_in": "\(pause)",
                ])
            }
            try? await Task.sleep(for: pause)
            pause = min(pause * 2, .seconds(30))
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
    /// Records the state of an instance of `cluster` that an Orcastra operation (or, with
    /// `source: .event`, LXD's event) says just changed, read back from LXD (a deleted one, or
    /// one LXD no longer knows, is recorded gone). A failure is logged, never the operation's:
    /// the next scan finds what this missed.
    func observe(cluster: Cluster, lxdProject: String, instance: String, deleted: Bool, driver: ClusterDriver, source: Source = .orcastra) async {
        let at = self.now()
        do {
            var state: UsageState?
            if !deleted {
                do {
                    state = UsageState(try await driver.useProject(lxdProject).meteredInstance(instance))
                } catch ClusterError.server(status: 404, _) {
                    state = nil
                }
            }
            try await self.record(cluster: cluster.id, observed: [Key(lxdProject: lxdProject, instance: instance): state], whole: false,
                                  source: source, at: at)
        } catch {
            self.logger.warning("usage: an operation's result could not be recorded; the next scan will", metadata: [
                "cluster": "\(cluster.name)", "instance": "\(instance)", "error": "\(error)",
            ])
        }
    }
}
