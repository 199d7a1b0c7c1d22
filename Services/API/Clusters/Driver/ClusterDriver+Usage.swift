import Foundation

extension ClusterDriver {
    /// Every instance of every project, as the usage scan meters them.
    func meteredInstances() async throws -> [LXD.MeteredInstance] {
        try await self.restGet("/1.0/instances", query: ["recursion": "1", "all-projects": "true"])
    }

    /// One instance of the driver's project, as the ledger meters it.
    func meteredInstance(_ name: String) async throws -> LXD.MeteredInstance {
        try await self.restGet("/1.0/instances/" + Self.escape(name), query: self.inProject)
    }
}

extension LXD {
    /// The root disk among `devices` (a disk mounted at `/`): its device name and settings.
    static func rootDisk(in devices: [String: [String: String]]?) -> (name: String, device: [String: String])? {
        devices?.first { $0.value["type"] == "disk" && $0.value["path"] == "/" }.map { ($0.key, $0.value) }
    }

    /// An instance as the usage scan reads it from `/1.0/instances?recursion=1&all-projects=true`:
    /// the status and the expanded configuration and devices (profiles applied).
    struct MeteredInstance: Decodable, Sendable {
        var name: String
        var project: String?
        var status: String
        var expandedConfig: [String: String]?
        var expandedDevices: [String: [String: String]]?

        enum CodingKeys: String, CodingKey {
            case name, project, status
            case expandedConfig = "expanded_config", expandedDevices = "expanded_devices"
        }
    }
}
