import Foundation

/// Instances and their snapshots, in the driver's project. Changes return the id of the LXD
/// operation they started (nil when LXD finished at once).
extension ClusterDriver {
    /// The project's instances, as the lists read them.
    func instances() async throws -> [LXD.ListedInstance] {
        try await self.restGet("/1.0/instances", query: self.inProject.merging(["recursion": "1"]) { $1 })
    }

    /// Every project's instances, as the lists read them, in one call.
    func instancesInAllProjects() async throws -> [LXD.ListedInstance] {
        try await self.restGet("/1.0/instances", query: ["recursion": "1", "all-projects": "true"])
    }

    func instance(_ name: String) async throws -> LXD.Instance {
        try await self.restGet(Self.instancePath(name), query: self.inProject)
    }

    /// Live state: status, processes, CPU, memory, disk and addresses.
    func instanceState(_ name: String) async throws -> LXD.InstanceState {
        try await self.restGet(Self.instancePath(name) + "/state", query: self.inProject)
    }

    func createInstance(_ instance: LXD.InstancesPost) async throws -> String? {
        try await self.restSend(.POST, "/1.0/instances", query: self.inProject, body: instance)
    }

    /// The storage pool of the root disk `profiles` give an instance (the last profile with a
    /// root disk wins, as LXD applies them in order); nil when none gives one.
    func rootPool(of profiles: [String]) async throws -> String? {
        for profile in profiles.reversed() {
            let detail: LXD.ProfileDetail = try await self.restGet("/1.0/profiles/\(Self.escape(profile))", query: self.inProject)
            if let pool = LXD.rootDisk(in: detail.devices)?.device["pool"] { return pool }
        }
        return nil
    }

    /// Start, stop, restart, freeze or unfreeze.
    func updateInstanceState(_ name: String, _ change: LXD.InstanceStatePut) async throws -> String? {
        try await self.restSend(.PUT, Self.instancePath(name) + "/state", query: self.inProject, body: change)
    }

    /// Changes some of the instance's configuration and devices (LXD applies limits to a
    /// running container at once).
    func patchInstance(_ name: String, _ patch: LXD.InstancePatch) async throws -> String? {
        try await self.restSend(.PATCH, Self.instancePath(name), query: self.inProject, body: patch)
    }

    /// LXD refuses to delete a running instance; callers stop it first.
    func deleteInstance(_ name: String) async throws -> String? {
        try await self.restSend(.DELETE, Self.instancePath(name), query: self.inProject)
    }

    func snapshots(of instance: String) async throws -> [LXD.Snapshot] {
        try await self.restGet(Self.instancePath(instance) + "/snapshots", query: self.inProject.merging(["recursion": "1"]) { $1 })
    }

    func createSnapshot(of instance: String, _ snapshot: LXD.SnapshotsPost) async throws -> String? {
        try await self.restSend(.POST, Self.instancePath(instance) + "/snapshots", query: self.inProject, body: snapshot)
    }

    /// Puts the instance back to the snapshot (LXD's `PUT` of the instance with `restore`).
    func restoreSnapshot(_ snapshot: String, of instance: String) async throws -> String? {
        try await self.restSend(.PUT, Self.instancePath(instance), query: self.inProject, body: LXD.InstanceRestore(restore: snapshot))
    }

    func deleteSnapshot(_ snapshot: String, of instance: String) async throws -> String? {
        try await self.restSend(.DELETE, Self.instancePath(instance) + "/snapshots/\(Self.escape(snapshot))", query: self.inProject)
    }

    private static func instancePath(_ name: String) -> String {
        "/1.0/instances/\(Self.escape(name))"
    }
}
