import Foundation
import OrcastraModels
import OrcastraRuntime

/// Changes to instances and snapshots. Each is a plan of driver verbs run as a tracked
/// operation: the first runs now (so what LXD refuses at once is the caller's error), the
/// rest in the background, and the caller follows the operation (202).
extension InstanceService {
    /// What a create answers: the operation it started, or with `dryRun`, what it would take
    /// from the quota.
    enum Creation: Sendable {
        case started(OperationInfo)
        case dryRun(InstanceDryRun)
    }

    /// Creates (and optionally starts) an instance in LXD project `project` of `cluster` (the
    /// route has checked the caller may create there). With `dryRun`, nothing is created: the
    /// answer says whether the instance fits the project's quota, from LXD's own count. A
    /// create LXD refuses for the quota is a 409 (or 422) naming the limit.
    func create(_ body: InstanceRequests.Create, in cluster: Cluster, project: String, dryRun: Bool,
                by caller: Identity, requestID: String?) async throws -> Creation {
        var instance = try InstanceRequests.validated(body)
        let rootSize = try InstanceRequests.rootSize(body)
        let target = Target(cluster: cluster, project: project, name: instance.name,
                            restrictedTo: try await self.restriction(for: caller, on: cluster, lxdProject: project))
        if dryRun {
            let state = try await self.reader(for: target).projectState(project)
            return .dryRun(InstanceQuota.check(InstanceQuota.demand(of: instance, rootSize: rootSize), against: state, project: project))
        }
        let driver = try await self.driver(for: target)
        if let rootSize {
            guard let pool = try await driver.rootPool(of: instance.profiles) else {
                throw APIError(.unprocessableContent, code: "invalid_limits",
                               message: "the profiles \(instance.profiles.joined(separator: ", ")) give the instance no root disk to size with limits.disk")
            }
            instance.devices = ["root": ["type": "disk", "path": "/", "pool": pool, "size": rootSize]]
        }
        let post = instance
        var steps: [OperationTracker.Step] = [{ driver in
            do { return try await driver.createInstance(post) } catch let error as ClusterError {
                throw InstanceQuota.refusal(error) ?? error
            }
        }]
        if body.start ?? false {
            steps.append { driver in try await driver.updateInstanceState(post.name, LXD.InstanceStatePut(action: "start")) }
        }
        var details = ["image": body.image, "type": instance.type, "profiles": instance.profiles.joined(separator: ","), "start": String(body.start ?? false)]
        details["limits.cpu"] = instance.config["limits.cpu"]
        details["limits.memory"] = instance.config["limits.memory"]
        details["limits.disk"] = rootSize
        let plan = OperationTracker.Plan(cluster: cluster, action: "instance.create", project: project, instance: instance.name, details: details, steps: steps)
        return .started(try await self.tracker.start(plan, driver: driver, caller: caller, requestID: requestID))
    }

    /// The cluster and LXD project of project `id`, for creates into it.
    func place(ofProject id: UUID) async throws -> (cluster: Cluster, lxdProject: String) {
        let project = try await self.projects.get(id)
        return (try await self.clusters.get(project.clusterID), project.lxdProject)
    }

    func changeState(_ target: Target, _ body: InstanceRequests.StateChange, by caller: Identity, requestID: String?) async throws -> OperationInfo {
        let change = try InstanceRequests.validated(body)
        let name = target.name
        return try await self.run(target, action: "instance.\(change.action)", details: ["force": String(change.force ?? false)], by: caller, requestID: requestID,
                              steps: [{ driver in try await driver.updateInstanceState(name, change) }])
    }

    /// New limits for an instance (`instance.resize`): CPU and memory in its configuration,
    /// the root disk's size on its own root device (copied from its profile when that is where
    /// the root disk comes from). LXD checks the project's quota; its refusal is a 409 naming
    /// the limit.
    func resize(_ target: Target, _ body: InstanceRequests.Resize, by caller: Identity, requestID: String?) async throws -> OperationInfo {
        let config = try InstanceRequests.limitsConfig(body.limits)
        let rootSize = try InstanceRequests.rootSize(body.limits)
        guard !config.isEmpty || rootSize != nil else {
            throw APIError(.unprocessableContent, code: "invalid_limits", message: "name at least one of limits.cpu, limits.memory and limits.disk")
        }
        var patch = LXD.InstancePatch(config: config)
        if let rootSize {
            let current = try await self.reader(for: target).meteredInstance(target.name)
            guard let (name, root) = LXD.rootDisk(in: current.expandedDevices) else {
                throw APIError(.unprocessableContent, code: "invalid_limits", message: "instance '\(target.name)' has no root disk to size with limits.disk")
            }
            patch.devices = [name: root.merging(["size": rootSize]) { $1 }]
        }
        var details = config
        details["limits.disk"] = rootSize
        let (name, change) = (target.name, patch)
        return try await self.run(target, action: "instance.resize", details: details, by: caller, requestID: requestID, steps: [{ driver in
            do { return try await driver.patchInstance(name, change) } catch let error as ClusterError {
                throw InstanceQuota.refusal(error) ?? error
            }
        }])
    }

    /// Refused while running unless `force`, which stops it first.
    func delete(_ target: Target, force: Bool, by caller: Identity, requestID: String?) async throws -> OperationInfo {
        let status = try await self.driver(for: target).instanceState(target.name).status
        let name = target.name
        var steps: [OperationTracker.Step] = []
        if status != "Stopped" {
            guard force else {
                throw APIError(.conflict, code: "instance_running", message: "instance '\(name)' is \(status); stop it first or delete with force=true")
            }
            steps.append { driver in try await driver.updateInstanceState(name, LXD.InstanceStatePut(action: "stop", force: true, timeout: 30)) }
        }
        steps.append { driver in try await driver.deleteInstance(name) }
        let operation = try await self.run(target, action: "instance.delete", details: ["force": String(force), "status_before": status], by: caller,
                                           requestID: requestID, steps: steps)
        // Grants go with the instance, so that a later one of the same name starts with none.
        if let project = try await self.project(on: target.cluster.id, lxdProject: target.project) {
            try await self.grants.dropAll(on: name, of: project)
        }
        return operation
    }

    func createSnapshot(_ target: Target, named snapshot: String, by caller: Identity, requestID: String?) async throws -> OperationInfo {
        let snapshot = try LXDNames.snapshot(snapshot)
        let name = target.name
        return try await self.run(target, action: "snapshot.create", snapshot: snapshot, by: caller, requestID: requestID,
                              steps: [{ driver in try await driver.createSnapshot(of: name, LXD.SnapshotsPost(name: snapshot)) }])
    }

    func restoreSnapshot(_ target: Target, named snapshot: String, by caller: Identity, requestID: String?) async throws -> OperationInfo {
        let snapshot = try LXDNames.snapshot(snapshot)
        let name = target.name
        return try await self.run(target, action: "snapshot.restore", snapshot: snapshot, by: caller, requestID: requestID,
                              steps: [{ driver in try await driver.restoreSnapshot(snapshot, of: name) }])
    }

    func deleteSnapshot(_ target: Target, named snapshot: String, by caller: Identity, requestID: String?) async throws -> OperationInfo {
        let snapshot = try LXDNames.snapshot(snapshot)
        let name = target.name
        return try await self.run(target, action: "snapshot.delete", snapshot: snapshot, by: caller, requestID: requestID,
                              steps: [{ driver in try await driver.deleteSnapshot(snapshot, of: name) }])
    }

    /// A change's state (the route has checked who may see it). While it runs, the progress is
    /// read live from the cluster (LXD reports percentages for downloads and unpacking); a
    /// cluster slow to say is not waited for.
    func operation(_ id: UUID) async throws -> OperationInfo {
        guard let (info, _, lxdOperation) = try await self.tracker.row(id) else {
            throw APIError(.notFound, code: "not_found", message: "no operation \(id.uuidString.lowercased())")
        }
        let cluster = try await self.clusters.store.find(info.clusterID)
        guard info.status == .running, let lxdOperation, let cluster else { return info }
        var live = info
        if let driver = try? await self.clusters.driver(for: cluster).with(timeout: .seconds(2)),
           let operation = try? await driver.operation(lxdOperation), let progress = operation.progress {
            live.progress = progress.percent
            live.stage = progress.stage
        }
        return live
    }

    /// Starts the plan `steps` make for one instance (or one of its snapshots).
    private func run(_ target: Target, action: String, snapshot: String? = nil, details: [String: String] = [:], by caller: Identity,
                     requestID: String?, steps: [OperationTracker.Step]) async throws -> OperationInfo {
        let plan = OperationTracker.Plan(cluster: target.cluster, action: action, project: target.project, instance: target.name,
                                         snapshot: snapshot, details: details, steps: steps)
        return try await self.tracker.start(plan, driver: try await self.driver(for: target), caller: caller, requestID: requestID)
    }
}
