import Foundation
import Logging
import OrcastraModels
import OrcastraRuntime

/// Reads instances from clusters: the list across every visible cluster, and one in full.
struct InstanceService: Sendable {
    let clusters: ClusterStore
    let connections: ClusterConnections
    let logger: Logger

    /// What `GET /instances` can narrow by.
    struct Filter: Sendable {
        var cluster: UUID?
        var project: String?
        var status: String?
        var type: String?
        var name: String?

        func keeps(_ instance: InstanceSummary) -> Bool {
            (self.status.map { $0.caseInsensitiveCompare(instance.status) == .orderedSame } ?? true)
                && (self.type.map { $0 == instance.type } ?? true)
                && (self.name.map { instance.name.localizedCaseInsensitiveContains($0) } ?? true)
        }
    }

    /// Every visible cluster asked at once, each with its own deadline: a cluster that is down
    /// or slow costs at most `listTimeout` and is reported, never blocking or hiding the rest.
    func list(for caller: Identity, filter: Filter) async throws -> InstanceList {
        var clusters = try await self.clusters.list(visibleTo: caller)
        if let wanted = filter.cluster { clusters = clusters.filter { $0.id == wanted } }
        let timeout = self.connections.settings.listTimeout
        let answers = await withTaskGroup(of: (Int, ClusterReach, [InstanceSummary]).self) { group in
            for (index, cluster) in clusters.enumerated() {
                group.addTask {
                    let (reach, items) = await self.fetch(cluster, project: filter.project, timeout: timeout)
                    return (index, reach, items)
                }
            }
            var answers: [(Int, ClusterReach, [InstanceSummary])] = []
            for await answer in group { answers.append(answer) }
            return answers.sorted { $0.0 < $1.0 }
        }
        let items = answers.flatMap(\.2).filter(filter.keeps)
            .sorted { ($0.clusterName, $0.project, $0.name) < ($1.clusterName, $1.project, $1.name) }
        return InstanceList(items: items, clusters: answers.map(\.1))
    }

    /// One cluster's instances in every project (or in `project`), or why there are none.
    private func fetch(_ cluster: Cluster, project: String?, timeout: Duration) async -> (ClusterReach, [InstanceSummary]) {
        let start = ContinuousClock.now
        func reach(_ status: String, _ error: String?, _ count: Int) -> ClusterReach {
            ClusterReach(id: cluster.id, name: cluster.name, status: status, error: error,
                         latencyMs: (ContinuousClock.now - start).milliseconds(places: 2), instanceCount: count)
        }
        do {
            let driver = try await self.connections.driver(for: cluster).with(timeout: timeout)
            let items = try await Self.instances(in: cluster, project: project, driver: driver)
            return (reach("ok", nil, items.count), items)
        } catch let error as ClusterError {
            return (reach(error.reach, error.description, 0), [])
        } catch let error as APIError {
            return (reach("error", error.message, 0), [])
        } catch {
            return (reach("error", "\(error)", 0), [])
        }
    }

    /// One cluster's instances in every project, or in `project` (one LXD call).
    static func instances(in cluster: Cluster, project: String?, driver: ClusterDriver) async throws -> [InstanceSummary] {
        var query = ["recursion": "1"]
        if let project { query["project"] = project } else { query["all-projects"] = "true" }
        let found: [LXD.Instance] = try await driver.get("/1.0/instances", query: query)
        return found.map { Self.summary($0, cluster: cluster, project: project) }
    }

    static func summary(_ instance: LXD.Instance, cluster: Cluster, project: String?) -> InstanceSummary {
        InstanceSummary(clusterID: cluster.id, clusterName: cluster.name, project: instance.project ?? project ?? "default", name: instance.name,
                        type: instance.type ?? "container", status: instance.status, description: instance.description.flatMap { $0.isEmpty ? nil : $0 },
                        createdAt: instance.createdAt, location: instance.location == "none" ? nil : instance.location,
                        image: instance.config?["image.description"] ?? instance.expandedConfig?["image.description"])
    }

    /// One instance: configuration, devices, live state and snapshots.
    func detail(_ name: String, project: String, cluster: Cluster) async throws -> InstanceDetail {
        let driver = try await self.connections.driver(for: cluster)
        let path = "/1.0/instances/\(ClusterDriver.escape(name))"
        let inProject = ["project": project]
        return try await clusterCall {
            async let instanceCall: LXD.Instance = driver.get(path, query: inProject)
            async let stateCall: LXD.InstanceState = driver.get(path + "/state", query: inProject)
            async let snapshotsCall: [LXD.Snapshot] = driver.get(path + "/snapshots", query: ["project": project, "recursion": "1"])
            let instance = try await instanceCall
            let state = try await stateCall
            let snapshots = try await snapshotsCall
            return InstanceDetail(
                summary: Self.summary(instance, cluster: cluster, project: project),
                profiles: instance.profiles ?? [], config: instance.config ?? [:], devices: instance.devices ?? [:],
                state: InstanceState(
                    status: state.status, cpuUsageNs: state.cpu?.usage, memoryUsageBytes: state.memory?.usage,
                    memoryPeakBytes: state.memory?.usagePeak, processes: state.processes,
                    disk: (state.disk ?? [:]).compactMapValues(\.usage),
                    network: (state.network ?? [:]).mapValues { ($0.addresses ?? []).map(\.address) }),
                snapshots: snapshots.map { SnapshotInfo(name: $0.name, createdAt: $0.createdAt, stateful: $0.stateful ?? false) }
                    .sorted { ($0.createdAt ?? "") < ($1.createdAt ?? "") })
        }
    }

    /// LXD's status word for one instance (to refuse deleting a running one).
    func status(_ name: String, project: String, driver: ClusterDriver) async throws -> String {
        let state: LXD.InstanceState = try await clusterCall {
            try await driver.get("/1.0/instances/\(ClusterDriver.escape(name))/state", query: ["project": project])
        }
        return state.status
    }
}
