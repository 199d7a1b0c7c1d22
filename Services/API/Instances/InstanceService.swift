import Foundation
import Logging
import OrcastraModels
import OrcastraRuntime

/// Everything the API does with instances: lists across clusters, one instance in full, and
/// the changes (create, state, delete, snapshots), which run as tracked operations. Controllers
/// call this and nothing below it; the cluster side (visibility, drivers) comes from
/// `ClusterService`.
struct InstanceService: Sendable {
    let clusters: ClusterService
    let tracker: OperationTracker
    let logger: Logger

    /// One instance a per-instance route names, in a cluster the caller may see.
    struct Target: Sendable {
        var cluster: Cluster
        var project: String
        var name: String
    }

    /// The cluster if the caller may see it; 404 otherwise.
    func cluster(_ id: UUID, visibleTo caller: Identity) async throws -> Cluster {
        try await self.clusters.get(id, visibleTo: caller)
    }

    /// The target of a per-instance route, names checked; 404 for a cluster the caller may not see.
    func target(cluster id: UUID, name: String, project: String?, caller: Identity) async throws -> Target {
        let cluster = try await self.clusters.get(id, visibleTo: caller)
        let name = try LXDNames.instance(name)
        let project = try LXDNames.project(project)
        return Target(cluster: cluster, project: project, name: name)
    }

    /// The target's cluster, spoken to in the target's project. Read only once the request has
    /// passed its own checks: it reads the cluster's credentials from the secret store.
    func driver(for target: Target) async throws -> ClusterDriver {
        try await self.clusters.driver(for: target.cluster).useProject(target.project)
    }

    /// Every visible cluster asked at once, each with its own deadline: a cluster that is down
    /// or slow costs at most `listTimeout` and is reported, never blocking or hiding the rest.
    /// The instances are paged by cluster name, project and name; every page reports every cluster.
    func list(for caller: Identity, filter: InstanceFilter, page: PageRequest = PageRequest()) async throws -> InstanceList {
        var clusters = try await self.clusters.list(visibleTo: caller)
        if let wanted = filter.cluster { clusters = clusters.filter { $0.id == wanted } }
        let timeout = self.clusters.settings.listTimeout
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
        let (items, next) = page.slice(answers.flatMap(\.2).filter(filter.keeps)) {
            [$0.clusterName, $0.project, $0.name, $0.clusterID.uuidString].joined(separator: "\u{0}")
        }
        return InstanceList(items: items, clusters: answers.map(\.1), nextCursor: next)
    }

    /// One cluster's instances, failing (502/504) when it does not answer.
    func list(cluster id: UUID, project: String?, caller: Identity) async throws -> [InstanceSummary] {
        let cluster = try await self.clusters.get(id, visibleTo: caller)
        let project = try project.map { try LXDNames.project($0) }
        return try await Self.instances(in: cluster, project: project, driver: try await self.clusters.driver(for: cluster))
    }

    /// One cluster's instances in every project (or in `project`), or why there are none.
    private func fetch(_ cluster: Cluster, project: String?, timeout: Duration) async -> (ClusterReach, [InstanceSummary]) {
        let start = ContinuousClock.now
        func reach(_ status: String, _ error: String?, _ count: Int) -> ClusterReach {
            ClusterReach(id: cluster.id, name: cluster.name, status: status, error: error,
                         latencyMs: (ContinuousClock.now - start).milliseconds(places: 2), instanceCount: count)
        }
        do {
            let driver = try await self.clusters.driver(for: cluster).with(timeout: timeout)
            let items = try await Self.instances(in: cluster, project: project, driver: driver)
            return (reach("ok", nil, items.count), items)
        } catch let error as ClusterError {
            return (reach(error.reach, error.description, 0), [])
        } catch {
            return (reach("error", (error as? any APIErrorConvertible)?.apiError.message ?? "\(error)", 0), [])
        }
    }

    /// One cluster's instances in every project, or in `project` (one LXD call).
    static func instances(in cluster: Cluster, project: String?, driver: ClusterDriver) async throws -> [InstanceSummary] {
        let found = if let project { try await driver.useProject(project).instances() } else { try await driver.instancesInAllProjects() }
        return found.map { Self.summary($0, cluster: cluster, project: project) }
    }

    /// LXD's view of an instance as Orcastra lists it: no empty descriptions, no `none`
    /// location (a standalone server), the image from its description key.
    static func summary(_ instance: LXD.Instance, cluster: Cluster, project: String?) -> InstanceSummary {
        InstanceSummary(clusterID: cluster.id, clusterName: cluster.name, project: instance.project ?? project ?? "default", name: instance.name,
                        type: instance.type ?? "container", status: instance.status, description: instance.description.flatMap { $0.isEmpty ? nil : $0 },
                        createdAt: instance.createdAt, location: instance.location == "none" ? nil : instance.location,
                        image: instance.config?["image.description"] ?? instance.expandedConfig?["image.description"])
    }

    /// One instance: configuration, devices, live state and snapshots.
    func detail(_ target: Target) async throws -> InstanceDetail {
        let driver = try await self.driver(for: target)
        async let instanceCall = driver.instance(target.name)
        async let stateCall = driver.instanceState(target.name)
        async let snapshotsCall = driver.snapshots(of: target.name)
        let instance = try await instanceCall
        let state = try await stateCall
        let snapshots = try await snapshotsCall
        return InstanceDetail(
            summary: Self.summary(instance, cluster: target.cluster, project: target.project),
            profiles: instance.profiles ?? [], config: instance.config ?? [:], devices: instance.devices ?? [:],
            state: InstanceState(
                status: state.status, cpuUsageNs: state.cpu?.usage, memoryUsageBytes: state.memory?.usage,
                memoryPeakBytes: state.memory?.usagePeak, processes: state.processes,
                disk: (state.disk ?? [:]).compactMapValues(\.usage),
                network: (state.network ?? [:]).mapValues { ($0.addresses ?? []).map(\.address) }),
            snapshots: snapshots.map(Self.snapshot).sorted { ($0.createdAt ?? "") < ($1.createdAt ?? "") })
    }

    /// The instance's snapshots, as LXD lists them.
    func snapshots(_ target: Target) async throws -> [SnapshotInfo] {
        try await self.driver(for: target).snapshots(of: target.name).map(Self.snapshot)
    }

    static func snapshot(_ snapshot: LXD.Snapshot) -> SnapshotInfo {
        SnapshotInfo(name: snapshot.name, createdAt: snapshot.createdAt, stateful: snapshot.stateful ?? false)
    }
}
