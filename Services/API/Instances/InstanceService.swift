import Foundation
import Logging
import OrcastraModels
import OrcastraRuntime

/// Everything the API does with instances: lists across clusters, one instance in full, and
/// the changes (create, state, delete, snapshots), which run as tracked operations. Controllers
/// call this and nothing below it; the cluster side (lists, drivers) comes from
/// `ClusterService`.
struct InstanceService: Sendable {
    let clusters: ClusterService
    /// Where a project's instances go (its cluster and LXD project).
    let projects: ProjectStore
    /// Grants on single instances, which go when the instance does.
    let grants: InstanceGrantStore
    let tracker: OperationTracker
    let authorizer: Authorizer
    let logger: Logger

    /// One instance a per-instance route names (the route has checked the caller's right to it).
    struct Target: Sendable {
        var cluster: Cluster
        var project: String
        var name: String
        /// The project whose restricted certificate the calls use (`restriction(for:on:lxdProject:)`).
        var restrictedTo: UUID?
    }

    /// The cluster a route names; 404 when it is gone.
    func cluster(_ id: UUID) async throws -> Cluster {
        try await self.clusters.get(id)
    }

    /// The target of a per-instance route, names checked, for `caller`.
    func target(cluster id: UUID, name: String, project: String?, for caller: Identity) async throws -> Target {
        let cluster = try await self.clusters.get(id)
        let name = try LXDNames.instance(name)
        let project = try LXDNames.project(project)
        return Target(cluster: cluster, project: project, name: name,
                      restrictedTo: try await self.restriction(for: caller, on: cluster, lxdProject: project))
    }

    /// Which project's certificate calls made for `caller` in `lxdProject` use: none for admins
    /// and the cluster's owner (the cluster's own certificate), otherwise that of the project
    /// through which the caller was let in, so that LXD itself keeps them inside it.
    func restriction(for caller: Identity, on cluster: Cluster, lxdProject: String) async throws -> UUID? {
        if caller.role == .admin || (caller.role >= .partner && cluster.ownerID == caller.id) { return nil }
        guard let project = try await self.project(on: cluster.id, lxdProject: lxdProject) else {
            throw APIError(.notFound, code: "not_found", message: "no project \(lxdProject) on cluster \(cluster.id.uuidString.lowercased())")
        }
        return project
    }

    /// The Orcastra project that is LXD project `lxdProject` on `cluster`, if any (the relation
    /// the authorizer decides by).
    func project(on cluster: UUID, lxdProject: String) async throws -> UUID? {
        try await self.authorizer.relations.project(on: cluster, lxdProject: lxdProject)?.id
    }

    /// The target's cluster, spoken to in the target's project. Read only once the request has
    /// passed its own checks: it reads the credentials from the secret store.
    func driver(for target: Target) async throws -> ClusterDriver {
        let driver = if let project = target.restrictedTo {
            try await self.clusters.driver(for: target.cluster, restrictedTo: project)
        } else {
            try await self.clusters.driver(for: target.cluster)
        }
        return driver.useProject(target.project)
    }

    /// The same for reads, each call bounded by `listTimeout` (`ClusterService.reader`).
    func reader(for target: Target) async throws -> ClusterDriver {
        try await self.driver(for: target).with(timeout: self.clusters.settings.listTimeout)
    }

    /// Every visible cluster asked concurrently, at most `listConcurrency` at once, each with
    /// its own deadline: a cluster that is down or slow costs at most `listTimeout` and is
    /// reported, never blocking or hiding the rest; one that failed so within the failure
    /// memory's window is reported at once without being asked (`ClusterFailureMemory`).
    /// The instances are paged by cluster name, project and name; every page reports every cluster.
    func list(for caller: Identity, filter: InstanceFilter, page: PageRequest = PageRequest()) async throws -> InstanceList {
        var reach = try await self.reach(of: caller)
        if let wanted = filter.cluster { reach = reach.filter { $0.cluster.id == wanted } }
        let answers = await self.fetchAll(reach, filter: filter)
        let (items, next) = page.slice(answers.flatMap(\.items)) { $0.key }
        return InstanceList(items: items.map { $0.summary }, clusters: answers.map(\.reach), nextCursor: next)
    }

    /// A cluster the caller's lists cover, and which of its LXD projects (nil: all, with the
    /// cluster's certificate), each with the project whose restricted certificate reads it and
    /// the instances the caller may see there (all, or those granted to them).
    typealias Reach = (cluster: Cluster, projects: [String: AccessRelations.ProjectReach]?)

    /// What the caller's instance lists cover, by cluster name: every project of the clusters
    /// they own (all, for admins), and the LXD projects of the projects they hold elsewhere
    /// (`Authorizer.projectReach`), so a tenant sees exactly the instances of their projects
    /// and those granted to them.
    func reach(of caller: Identity) async throws -> [Reach] {
        let owned = try await self.clusters.list(in: self.authorizer.ownerScope(caller))
        var reach: [Reach] = owned.map { ($0, nil) }
        let ownedIDs = Set(owned.map(\.id))
        for (id, projects) in try await self.authorizer.projectReach(caller) where !ownedIDs.contains(id) {
            if let cluster = try await self.clusters.store.find(id) { reach.append((cluster, projects)) }
        }
        return reach.sorted { ($0.cluster.name, $0.cluster.id.uuidString) < ($1.cluster.name, $1.cluster.id.uuidString) }
    }

    /// One cluster's part of the aggregated list: how it answered, and the instances the filter
    /// keeps, each with its paging key (made here, in the cluster's own task, not after all
    /// clusters answered).
    struct ClusterAnswer: Sendable {
        var reach: ClusterReach
        var items: [(key: String, summary: InstanceSummary)]
    }

    /// The answers of `clusters`, in their order. Remembered failures are answered without a
    /// call; the rest are asked with at most `listConcurrency` calls in flight, the next one
    /// starting as soon as one ends.
    func fetchAll(_ reach: [Reach], filter: InstanceFilter) async -> [ClusterAnswer] {
        let clusters = reach.map(\.cluster)
        let settings = self.clusters.settings
        let failures = self.clusters.connections.failures
        var answers: [ClusterAnswer?] = clusters.map { cluster in
            failures.recall(cluster).map { failure in
                ClusterAnswer(reach: ClusterReach(id: cluster.id, name: cluster.name, status: failure.error.reach,
                                                  error: failures.describe(failure), latencyMs: 0, instanceCount: 0), items: [])
            }
        }
        var waiting = clusters.indices.filter { answers[$0] == nil }.makeIterator()
        await withTaskGroup(of: (Int, ClusterAnswer).self) { group in
            func start(_ index: Int) {
                let cluster = clusters[index]
                let projects = reach[index].projects
                group.addTask { (index, await self.fetch(cluster, projects: projects, filter: filter, timeout: settings.listTimeout)) }
            }
            for _ in 0..<max(1, settings.listConcurrency) {
                guard let index = waiting.next() else { break }
                start(index)
            }
            while let (index, answer) = await group.next() {
                answers[index] = answer
                if let index = waiting.next() { start(index) }
            }
        }
        return answers.compactMap { $0 }
    }

    /// One cluster's instances, failing (502/504) when it does not answer.
    func list(cluster id: UUID, project: String?) async throws -> [InstanceSummary] {
        let cluster = try await self.clusters.get(id)
        let project = try project.map { try LXDNames.project($0) }
        return try await Self.instances(in: cluster, project: project, driver: try await self.clusters.reader(for: cluster))
    }

    /// One cluster's instances in `projects` (nil: every project), or in the filter's project
    /// among them, that the filter keeps, or why there are none; a failure that cost time is
    /// remembered.
    private func fetch(_ cluster: Cluster, projects: [String: AccessRelations.ProjectReach]?, filter: InstanceFilter, timeout: Duration) async -> ClusterAnswer {
        let start = ContinuousClock.now
        func reach(_ status: String, _ error: String?, _ count: Int) -> ClusterReach {
            ClusterReach(id: cluster.id, name: cluster.name, status: status, error: error,
                         latencyMs: (ContinuousClock.now - start).milliseconds(places: 2), instanceCount: count)
        }
        do {
            var found: [InstanceSummary] = []
            if let projects {
                for (project, reach) in projects.sorted(by: { $0.key < $1.key }) where filter.project == nil || filter.project == project {
                    let driver = try await self.clusters.driver(for: cluster, restrictedTo: reach.project).with(timeout: timeout)
                    found += try await Self.instances(in: cluster, project: project, driver: driver).filter { reach.instances?.contains($0.name) ?? true }
                }
            } else {
                let driver = try await self.clusters.driver(for: cluster).with(timeout: timeout)
                found = try await Self.instances(in: cluster, project: filter.project, driver: driver)
            }
            let items = found.filter(filter.keeps).map { (key: Self.pagingKey($0), summary: $0) }
            return ClusterAnswer(reach: reach("ok", nil, found.count), items: items)
        } catch let error as ClusterError {
            self.clusters.connections.failures.remember(error, of: cluster)
            return ClusterAnswer(reach: reach(error.reach, error.description, 0), items: [])
        } catch {
            return ClusterAnswer(reach: reach("error", (error as? any APIErrorConvertible)?.apiError.message ?? "\(error)", 0), items: [])
        }
    }

    /// The aggregated list's order: cluster name, project, name (the cluster id breaks ties
    /// between clusters of one name, which registration does not allow but the key does not assume).
    static func pagingKey(_ item: InstanceSummary) -> String {
        [item.clusterName, item.project, item.name, item.clusterID.uuidString].joined(separator: "\u{0}")
    }

    /// One cluster's instances in every project, or in `project` (one LXD call).
    static func instances(in cluster: Cluster, project: String?, driver: ClusterDriver) async throws -> [InstanceSummary] {
        let found = if let project { try await driver.useProject(project).instances() } else { try await driver.instancesInAllProjects() }
        return found.map { Self.summary($0, cluster: cluster, project: project) }
    }

    /// LXD's view of an instance as Orcastra lists it: no empty descriptions, no `none`
    /// location (a standalone server), the image from its description key.
    static func summary(_ instance: LXD.ListedInstance, cluster: Cluster, project: String?) -> InstanceSummary {
        InstanceSummary(clusterID: cluster.id, clusterName: cluster.name, project: instance.project ?? project ?? "default", name: instance.name,
                        type: instance.type ?? "container", status: instance.status, description: instance.description.flatMap { $0.isEmpty ? nil : $0 },
                        createdAt: instance.createdAt, location: instance.location == "none" ? nil : instance.location,
                        image: instance.imageDescription)
    }

    /// The same for an instance read in full (one instance's detail).
    static func summary(_ instance: LXD.Instance, cluster: Cluster, project: String?) -> InstanceSummary {
        Self.summary(instance.listed, cluster: cluster, project: project)
    }

    /// One instance: configuration, devices, live state and snapshots.
    func detail(_ target: Target) async throws -> InstanceDetail {
        let driver = try await self.reader(for: target)
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
        try await self.reader(for: target).snapshots(of: target.name).map(Self.snapshot)
    }

    static func snapshot(_ snapshot: LXD.Snapshot) -> SnapshotInfo {
        SnapshotInfo(name: snapshot.name, createdAt: snapshot.createdAt, stateful: snapshot.stateful ?? false)
    }
}
