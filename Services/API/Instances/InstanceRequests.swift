import Foundation
import OrcastraRuntime

/// What callers send to change instances, checked against LXD's rules before anything reaches
/// a cluster, so that a mistake is answered with the rule it breaks rather than LXD's error.
enum InstanceRequests {
    /// `{"name", "image", "project"?, "type"?, "profiles"?, "limits"?: {"cpu", "memory",
    /// "disk"}, "user_data"?, "start"?}`; `image` is an alias or a fingerprint on that
    /// cluster; `limits.disk` is the root disk's size (which a project's disk quota needs).
    struct Create: Decodable, Sendable {
        var name: String
        var image: String
        var project: String?
        var type: String?
        var profiles: [String]?
        var limits: Limits?
        var userData: String?
        var start: Bool?

        struct Limits: Decodable, Sendable {
            var cpu: String?
            var memory: String?
            var disk: String?
        }

        enum CodingKeys: String, CodingKey {
            case name, image, project, type, profiles, limits, start
            case userData = "user_data"
        }
    }

    /// `{"limits": {"cpu"?, "memory"?, "disk"?}}`: new limits for an existing instance; a
    /// limit left out is kept, `""` removes a CPU or memory limit.
    struct Resize: Decodable, Sendable {
        var limits: Create.Limits
    }

    /// `{"action": "start|stop|restart|freeze|unfreeze", "force"?: bool, "timeout"?: seconds}`.
    struct StateChange: Decodable, Sendable {
        var action: String
        var force: Bool?
        var timeout: Int?
    }

    /// The create request as LXD's body.
    static func validated(_ body: Create) throws -> LXD.InstancesPost {
        let name = try LXDNames.instance(body.name)
        let type = body.type ?? "container"
        guard ["container", "virtual-machine"].contains(type) else {
            throw APIError(.unprocessableContent, code: "invalid_type", message: "type must be container or virtual-machine")
        }
        let image = body.image.trimmingCharacters(in: .whitespaces)
        guard !image.isEmpty, image.count <= 255, image.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "._-/:".contains($0)) }) else {
            throw APIError(.unprocessableContent, code: "invalid_image", message: "image must be an alias or a fingerprint on the cluster")
        }
        let isFingerprint = image.count >= 12 && image.count <= 64 && image.allSatisfy(\.isHexDigit)
        let profiles = body.profiles ?? ["default"]
        for profile in profiles where !LXDNames.isObjectName(profile) {
            throw APIError(.unprocessableContent, code: "invalid_profile", message: "'\(profile)' is not a profile name")
        }
        var config = try Self.limitsConfig(body.limits).filter { !$0.value.isEmpty }
        if let userData = body.userData, !userData.isEmpty {
            guard userData.utf8.count <= 64 * 1024 else {
                throw APIError(.unprocessableContent, code: "invalid_user_data", message: "user_data must be at most 64 KiB")
            }
            // LXD 5.0 reads cloud-init data from `user.user-data`; newer servers accept it too.
            config["user.user-data"] = userData
        }
        return LXD.InstancesPost(name: name, type: type, profiles: profiles, config: config,
                                 source: .init(alias: isFingerprint ? nil : image, fingerprint: isFingerprint ? image : nil))
    }

    /// `limits.cpu` and `limits.memory` as LXD config keys, each checked; an empty value is
    /// kept empty (a resize removes the limit with it, a create leaves it out).
    static func limitsConfig(_ limits: Create.Limits?) throws -> [String: String] {
        var config: [String: String] = [:]
        if let cpu = limits?.cpu {
            guard cpu.isEmpty || cpu.wholeMatch(of: /\d{1,4}(-\d{1,4})?(,\d{1,4}(-\d{1,4})?)*/) != nil else {
                throw APIError(.unprocessableContent, code: "invalid_limits", message: "limits.cpu must be a count (2) or CPU ids (0-3,6)")
            }
            config["limits.cpu"] = cpu
        }
        if let memory = limits?.memory {
            guard memory.isEmpty || memory.wholeMatch(of: /\d{1,9}(kB|MB|GB|TB|KiB|MiB|GiB|TiB|%)?/) != nil else {
                throw APIError(.unprocessableContent, code: "invalid_limits", message: "limits.memory must be a size such as 512MiB or 2GiB, or a percentage")
            }
            config["limits.memory"] = memory
        }
        return config
    }

    /// The root disk's size the request asks for (`limits.disk`), if any.
    static func rootSize(_ body: Create) throws -> String? {
        try Self.rootSize(body.limits)
    }

    static func rootSize(_ limits: Create.Limits?) throws -> String? {
        guard let disk = limits?.disk, !disk.isEmpty else { return nil }
        guard disk.wholeMatch(of: /[1-9]\d{0,11}(kB|MB|GB|TB|KiB|MiB|GiB|TiB)?/) != nil else {
            throw APIError(.unprocessableContent, code: "invalid_limits", message: "limits.disk must be a size such as 10GiB")
        }
        return disk
    }

    /// `?dry_run=`: `true` asks what the create would take from the quota instead of creating.
    static func dryRun(_ value: String?) throws -> Bool {
        switch value {
        case nil, "false": return false
        case "true": return true
        default: throw APIError(.badRequest, code: "invalid_dry_run", message: "dry_run must be true or false")
        }
    }

    /// The state change as LXD's body: force off and a 30 s clean-stop timeout unless asked.
    static func validated(_ body: StateChange) throws -> LXD.InstanceStatePut {
        guard ["start", "stop", "restart", "freeze", "unfreeze"].contains(body.action) else {
            throw APIError(.unprocessableContent, code: "invalid_action", message: "action must be start, stop, restart, freeze or unfreeze")
        }
        if let timeout = body.timeout, !(0...3600).contains(timeout) {
            throw APIError(.unprocessableContent, code: "invalid_timeout", message: "timeout must be 0 to 3600 seconds")
        }
        return LXD.InstanceStatePut(action: body.action, force: body.force ?? false, timeout: body.timeout ?? 30)
    }
}
