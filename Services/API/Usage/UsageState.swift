import Foundation

/// What an instance holds, as the ledger meters it: whether it runs, and the vCPUs, memory
/// and root disk its (expanded) configuration gives it.
///
/// Only stated limits count: an instance without `limits.cpu` or `limits.memory` (or with a
/// percentage) is metered at 0 for that resource, and one whose root disk has no `size` at 0
/// disk; projects with a quota require the limits, so billed instances have them. A frozen
/// instance still holds its resources and counts as running.
struct UsageState: Sendable, Equatable {
    var running: Bool
    var vcpus: Int
    var memoryBytes: Int64
    var diskBytes: Int64

    init(running: Bool, vcpus: Int, memoryBytes: Int64, diskBytes: Int64) {
        self.running = running
        self.vcpus = vcpus
        self.memoryBytes = memoryBytes
        self.diskBytes = diskBytes
    }

    init(_ instance: LXD.MeteredInstance) {
        let config = instance.expandedConfig ?? [:]
        let root = LXD.rootDisk(in: instance.expandedDevices)?.device
        self.init(running: instance.status == "Running" || instance.status == "Frozen",
                  vcpus: config["limits.cpu"].flatMap(InstanceQuota.cpus).map { Int(clamping: $0) } ?? 0,
                  memoryBytes: config["limits.memory"].flatMap(InstanceQuota.bytes) ?? 0,
                  diskBytes: root?["size"].flatMap(InstanceQuota.bytes) ?? 0)
    }

    /// The ledger's name for the change from `before` to `after` (nil: nothing to record).
    static func event(from before: UsageState?, to after: UsageState?) -> UsageEvent? {
        switch (before, after) {
        case (nil, nil): return nil
        case (nil, .some): return .created
        case (.some, nil): return .deleted
        case (.some(let before), .some(let after)):
            if before == after { return nil }
            if before.running != after.running { return after.running ? .started : .stopped }
            return .resized
        }
    }
}

/// A ledger row's kind. `observed` is an instance the scan found that the ledger did not know
/// (one that existed before Orcastra metered its cluster, or was made outside Orcastra).
enum UsageEvent: String, Sendable, Codable {
    case created, started, stopped, resized, deleted, observed
}
