import Foundation
import OrcastraModels
import OrcastraRuntime

/// An instance against its LXD project's quota, counted the way LXD counts it: every instance
/// in the project, running or stopped, holds its `limits.cpu`, `limits.memory` and root disk
/// `size` against the project's `limits.*`, and a project that limits one of them refuses an
/// instance that does not state it. Used for the dry run (`?dry_run=true`), which answers
/// before LXD is asked, and to turn LXD's own refusals of a create into the limit they name.
enum InstanceQuota {
    /// What one instance asks of each resource (nil: it does not say).
    struct Demand: Sendable, Equatable {
        var type: String
        var cpu: Int64?
        var memory: Int64?
        var disk: Int64?
    }

    /// The demand of the instance `post` would create, its root disk `rootSize` big.
    static func demand(of post: LXD.InstancesPost, rootSize: String?) -> Demand {
        Demand(type: post.type, cpu: post.config["limits.cpu"].flatMap(Self.cpus), memory: post.config["limits.memory"].flatMap(Self.bytes),
               disk: rootSize.flatMap(Self.bytes))
    }

    /// Each limited resource with what would remain after the instance; `message` names the
    /// first limit that would be hit, or says that it fits.
    static func check(_ demand: Demand, against state: LXD.ProjectState, project: String) -> InstanceDryRun {
        let kind = demand.type == "virtual-machine" ? "virtual-machines" : "containers"
        let asked: [(resource: String, amount: Int64?, key: String)] = [
            ("instances", 1, "limits.instances"), (kind, 1, "limits.\(kind)"),
            ("cpu", demand.cpu, "limits.cpu"), ("memory", demand.memory, "limits.memory"), ("disk", demand.disk, "limits.disk"),
        ]
        var lines: [QuotaLine] = []
        var problems: [String] = []
        for (resource, amount, key) in asked {
            guard let counted = state.resources[resource] else { continue }
            let limit = counted.limit < 0 ? nil : counted.limit
            guard let limit else {
                lines.append(QuotaLine(resource: resource, limit: nil, usage: counted.usage, requested: amount, remaining: nil, fits: true))
                continue
            }
            guard let amount else {
                lines.append(QuotaLine(resource: resource, limit: limit, usage: counted.usage, requested: nil, remaining: nil, fits: false))
                problems.append("the project limits \(resource) (\(key) = \(Self.amount(limit, of: resource))), so the instance must set "
                                + (resource == "disk" ? "limits.disk (its root disk's size)" : "\(key) as a size or count"))
                continue
            }
            let remaining = limit - counted.usage - amount
            lines.append(QuotaLine(resource: resource, limit: limit, usage: counted.usage, requested: amount, remaining: remaining, fits: remaining >= 0))
            if remaining < 0 {
                problems.append("\(key) would be exceeded: \(Self.amount(counted.usage, of: resource)) of \(Self.amount(limit, of: resource)) used, "
                                + "\(Self.amount(amount, of: resource)) asked, \(Self.amount(max(0, limit - counted.usage), of: resource)) left")
            }
        }
        let message = problems.isEmpty
            ? "the instance fits in project \(project)'s quota"
            : "the instance does not fit in project \(project)'s quota: " + problems.joined(separator: "; ")
        return InstanceDryRun(project: project, fits: problems.isEmpty, message: message, resources: lines)
    }

    /// LXD's refusal of a create because of the quota, as the caller's error: 409 when a limit
    /// is reached (naming it), 422 when the project's quota needs the instance to state a
    /// size it left out. Nil for every other refusal.
    static func refusal(_ error: ClusterError) -> APIError? {
        guard case .server(_, let message) = error else { return nil }
        if let reached = message.range(of: "Reached maximum") {
            let said = String(message[reached.lowerBound...])
            let key = said.firstMatch(of: /for "(limits\.[a-z.-]+)"/).map { String($0.1) }
                ?? (said.contains("number of instances") ? "limits.instances" : "quota")
            return APIError(.conflict, code: "quota_exceeded", message: "this would exceed the project's \(key): \(said)")
        }
        if message.contains("has no \"") {
            let key = message.contains("\"size\"") ? "limits.disk (the root disk's size)"
                : message.firstMatch(of: /has no "(limits\.[a-z.-]+)"/).map { String($0.1) } ?? "its limits"
            return APIError(.unprocessableContent, code: "limits_required",
                            message: "the project has a quota on it, so the instance must set \(key): \(message)")
        }
        return nil
    }

    /// CPUs a `limits.cpu` takes: a count (`2`) or the number of CPU ids in a set (`0-3,6`).
    static func cpus(_ text: String) -> Int64? {
        if let count = Int64(text) { return count }
        var total: Int64 = 0
        for part in text.split(separator: ",") {
            let bounds = part.split(separator: "-").compactMap { Int64($0) }
            guard let first = bounds.first, bounds.count == part.split(separator: "-").count, bounds.count <= 2 else { return nil }
            let last = bounds.count == 2 ? bounds[1] : first
            guard last >= first else { return nil }
            total += last - first + 1
        }
        return total
    }

    /// Bytes in an LXD size (`512MiB`, `2GB`, `1073741824`); nil for a percentage or nonsense.
    static func bytes(_ text: String) -> Int64? {
        guard let match = text.wholeMatch(of: /(\d{1,15})(kB|MB|GB|TB|PB|KiB|MiB|GiB|TiB|PiB|B)?/), let number = Int64(match.1) else { return nil }
        let factor: Int64 = switch match.2 ?? "" {
        case "kB": 1_000
        case "MB": 1_000_000
        case "GB": 1_000_000_000
        case "TB": 1_000_000_000_000
        case "PB": 1_000_000_000_000_000
        case "KiB": 1 << 10
        case "MiB": 1 << 20
        case "GiB": 1 << 30
        case "TiB": 1 << 40
        case "PiB": 1 << 50
        default: 1
        }
        let (product, overflow) = number.multipliedReportingOverflow(by: factor)
        return overflow ? nil : product
    }

    /// An amount in the resource's unit, for messages: sizes in the largest binary unit that
    /// divides them.
    static func amount(_ value: Int64, of resource: String) -> String {
        switch resource {
        case "memory", "disk":
            for (unit, shift) in [("TiB", 40), ("GiB", 30), ("MiB", 20), ("KiB", 10)] where value != 0 && value % (1 << shift) == 0 {
                return "\(value >> shift)\(unit)"
            }
            return "\(value) bytes"
        case "cpu": return value == 1 ? "1 CPU" : "\(value) CPUs"
        default: return "\(value)"
        }
    }
}
