import Foundation
import OrcastraModels
import OrcastraRuntime

/// What callers send to create and change projects, checked before LXD is asked, so that a
/// mistake is answered with the rule it breaks.
enum ProjectRequests {
    /// `{"name", "cluster_id", "description"?, "lxd_project"?, "limits"?}`.
    struct Create: Decodable, Sendable {
        var name: String
        var clusterID: UUID
        var description: String?
        var lxdProject: String?
        var limits: ProjectLimits?

        enum CodingKeys: String, CodingKey {
            case name, description, limits
            case clusterID = "cluster_id", lxdProject = "lxd_project"
        }
    }

    /// `{"name"?, "description"?, "limits"?}`; `limits`, when given, replaces the quota whole.
    struct Update: Decodable, Sendable {
        var name: String?
        var description: String?
        var limits: ProjectLimits?
    }

    /// The LXD project a new project gets unless one is asked for: its name in lower case,
    /// every run of other characters a '-', prefixed with `orc-` so that Orcastra's projects
    /// stand out in `lxc project list`.
    static func lxdName(for name: String) -> String {
        var slug = ""
        for scalar in name.lowercased().unicodeScalars {
            if ("a"..."z").contains(scalar) || ("0"..."9").contains(scalar) { slug.unicodeScalars.append(scalar) }
            else if !slug.hasSuffix("-") { slug += "-" }
        }
        slug = String(slug.trimmingCharacters(in: CharacterSet(charactersIn: "-")).prefix(50))
        return "orc-" + (slug.isEmpty ? "project" : slug)
    }

    /// An LXD project name Orcastra will create: lower-case letters, digits and '-', 1 to 63,
    /// starting with a letter or digit.
    static func lxdProject(_ name: String) throws -> String {
        guard name.wholeMatch(of: /[a-z0-9][a-z0-9-]{0,62}/) != nil, name != "default" else {
            throw APIError(.unprocessableContent, code: "invalid_lxd_project",
                           message: "lxd_project must be 1 to 63 lower-case letters, digits and '-', starting with a letter or digit, and not 'default'")
        }
        return name
    }

    /// The limits as LXD project config (`limits.instances`, `limits.cpu`, `limits.memory`,
    /// `limits.disk`); only the given ones.
    static func config(_ limits: ProjectLimits) throws -> [String: String] {
        var config: [String: String] = [:]
        if let instances = limits.instances {
            guard (0...100_000).contains(instances) else { throw Self.invalid("limits.instances must be 0 to 100000") }
            config["limits.instances"] = String(instances)
        }
        if let cpu = limits.cpu {
            guard (1...100_000).contains(cpu) else { throw Self.invalid("limits.cpu must be 1 to 100000 CPUs") }
            config["limits.cpu"] = String(cpu)
        }
        for (key, value) in [("limits.memory", limits.memory), ("limits.disk", limits.disk)] {
            guard let value else { continue }
            guard value.wholeMatch(of: /[1-9]\d{0,11}(kB|MB|GB|TB|KiB|MiB|GiB|TiB)?/) != nil else {
                throw Self.invalid("\(key) must be a size such as 512MiB or 20GiB")
            }
            config[key] = value
        }
        return config
    }

    private static func invalid(_ message: String) -> APIError {
        APIError(.unprocessableContent, code: "invalid_limits", message: message)
    }
}
