import Foundation

/// LXD projects as Orcastra's projects use them: created with their quota as `limits.*`
/// (LXD enforces it), changed, read for what they use, and deleted once empty. These act on
/// the named project whatever project the driver is scoped to.
extension ClusterDriver {
    func project(_ name: String) async throws -> LXD.ProjectDetail {
        try await self.restGet(Self.projectPath(name))
    }

    func createProject(_ project: LXD.ProjectsPost) async throws {
        try await self.restSend(.POST, "/1.0/projects", body: project)
    }

    /// Replaces the project's description and config (LXD's `PUT`: keys left out are unset).
    func replaceProject(_ name: String, _ project: LXD.ProjectPut) async throws {
        try await self.restSend(.PUT, Self.projectPath(name), body: project)
    }

    /// LXD refuses while the project holds instances, images, profiles or volumes of its own.
    func deleteProject(_ name: String) async throws {
        try await self.restSend(.DELETE, Self.projectPath(name))
    }

    /// What the project uses against its limits (LXD's resource names: `instances`, `cpu`,
    /// `memory`, `disk`, `networks`, `processes`, …).
    func projectState(_ name: String) async throws -> LXD.ProjectState {
        try await self.restGet(Self.projectPath(name) + "/state")
    }

    /// The names of the instances in `project`.
    func instanceNames(inProject project: String) async throws -> [String] {
        let urls: [String] = try await self.restGet("/1.0/instances", query: ["project": project])
        return urls.compactMap { $0.split(separator: "?").first?.split(separator: "/").last.map { $0.removingPercentEncoding ?? String($0) } }
    }

    private static func projectPath(_ name: String) -> String {
        "/1.0/projects/\(Self.escape(name))"
    }
}

extension LXD {
    /// `POST /1.0/projects`.
    struct ProjectsPost: Encodable, Sendable, Equatable {
        var name: String
        var description: String
        var config: [String: String]
    }

    /// `PUT /1.0/projects/<name>`.
    struct ProjectPut: Encodable, Sendable, Equatable {
        var description: String
        var config: [String: String]
    }

    /// `GET /1.0/projects/<name>`.
    struct ProjectDetail: Decodable, Sendable {
        var name: String
        var description: String?
        var config: [String: String]?
        var usedBy: [String]?

        enum CodingKeys: String, CodingKey { case name, description, config, usedBy = "used_by" }
    }

    /// `GET /1.0/projects/<name>/state`: per resource, the limit (-1: none) and the usage.
    struct ProjectState: Decodable, Sendable {
        var resources: [String: Resource]

        struct Resource: Decodable, Sendable {
            var limit: Int64
            var usage: Int64

            enum CodingKeys: String, CodingKey { case limit = "Limit", usage = "Usage" }
        }
    }
}
