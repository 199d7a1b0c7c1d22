import Foundation

/// The parts of the LXD/Incus REST API (`/1.0`) Orcastra reads, as the server spells them.
/// Both servers share these shapes; unknown fields are ignored so newer servers decode too.
enum LXD {
    /// Every answer: `sync` with metadata, `async` with an operation, or `error`.
    struct Envelope<Metadata: Decodable>: Decodable {
        var type: String
        var operation: String?
        var error: String?
        var errorCode: Int?
        var metadata: Metadata?

        enum CodingKeys: String, CodingKey {
            case type, operation, error, metadata
            case errorCode = "error_code"
        }
    }

    /// `GET /1.0`.
    struct Server: Decodable {
        var apiExtensions: [String]
        var auth: String
        var environment: Environment?

        struct Environment: Decodable {
            var server: String?
            var serverName: String?
            var serverVersion: String?
            var serverClustered: Bool?
            var certificateFingerprint: String?

            enum CodingKeys: String, CodingKey {
                case server
                case serverName = "server_name", serverVersion = "server_version"
                case serverClustered = "server_clustered", certificateFingerprint = "certificate_fingerprint"
            }
        }

        enum CodingKeys: String, CodingKey {
            case auth, environment
            case apiExtensions = "api_extensions"
        }
    }

    /// `/1.0/operations/<id>`; `metadata` carries progress (`…_progress: "Unpack: 42% (…)"`).
    struct Operation: Decodable, Sendable {
        var id: String
        var description: String?
        var status: String
        var statusCode: Int
        var err: String?
        var metadata: [String: JSONLeaf]?

        enum CodingKeys: String, CodingKey {
            case id, description, status, err, metadata
            case statusCode = "status_code"
        }

        /// Running (103), pending (105) or a cancelling state: not finished.
        var isFinished: Bool { self.statusCode == 200 || self.statusCode >= 400 }
        var succeeded: Bool { self.statusCode == 200 }

        /// The percentage and words of the first `…progress` entry LXD reports, if any.
        var progress: (percent: Int?, stage: String)? {
            guard let metadata else { return nil }
            for key in metadata.keys.sorted() where key.hasSuffix("progress") {
                guard case .string(let text) = metadata[key] else { continue }
                let percent = text.firstMatch(of: /(\d{1,3})%/).flatMap { Int($0.1) }.map { min($0, 100) }
                return (percent, text)
            }
            return nil
        }
    }

    /// `/1.0/instances?recursion=1`.
    struct Instance: Decodable {
        var name: String
        var project: String?
        var type: String?
        var status: String
        var description: String?
        var createdAt: String?
        var location: String?
        var profiles: [String]?
        var config: [String: String]?
        var devices: [String: [String: String]]?
        var expandedConfig: [String: String]?

        enum CodingKeys: String, CodingKey {
            case name, project, type, status, description, location, profiles, config, devices
            case createdAt = "created_at", expandedConfig = "expanded_config"
        }

        /// The same instance as the lists read it.
        var listed: ListedInstance {
            ListedInstance(name: self.name, project: self.project, type: self.type, status: self.status, description: self.description,
                           createdAt: self.createdAt, location: self.location,
                           imageDescription: self.config?["image.description"] ?? self.expandedConfig?["image.description"])
        }
    }

    /// An instance as the lists read it from `/1.0/instances?recursion=1`: only the fields of a
    /// summary, and of the config maps only `image.description`. Decoding `Instance` in full
    /// (config, devices, expanded config as dictionaries) cost four times as much per instance
    /// and was the API's largest share of a list; the other keys are skipped, not built.
    struct ListedInstance: Decodable, Sendable {
        var name: String
        var project: String?
        var type: String?
        var status: String
        var description: String?
        var createdAt: String?
        var location: String?
        /// `config`'s `image.description`, else `expanded_config`'s.
        var imageDescription: String?

        enum CodingKeys: String, CodingKey {
            case name, project, type, status, description, location, config
            case createdAt = "created_at", expandedConfig = "expanded_config"
        }

        /// The one config key read.
        struct ImageDescription: CodingKey {
            var stringValue: String { "image.description" }
            var intValue: Int? { nil }
            init() {}
            init?(stringValue: String) { guard stringValue == "image.description" else { return nil } }
            init?(intValue: Int) { nil }
        }

        init(name: String, project: String?, type: String?, status: String, description: String?, createdAt: String?, location: String?,
             imageDescription: String?) {
            (self.name, self.project, self.type, self.status) = (name, project, type, status)
            (self.description, self.createdAt, self.location, self.imageDescription) = (description, createdAt, location, imageDescription)
        }

        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            self.name = try c.decode(String.self, forKey: .name)
            self.project = try c.decodeIfPresent(String.self, forKey: .project)
            self.type = try c.decodeIfPresent(String.self, forKey: .type)
            self.status = try c.decode(String.self, forKey: .status)
            self.description = try c.decodeIfPresent(String.self, forKey: .description)
            self.createdAt = try c.decodeIfPresent(String.self, forKey: .createdAt)
            self.location = try c.decodeIfPresent(String.self, forKey: .location)
            self.imageDescription = try Self.imageDescription(in: c, .config) ?? Self.imageDescription(in: c, .expandedConfig)
        }

        private static func imageDescription(in c: KeyedDecodingContainer<CodingKeys>, _ key: CodingKeys) throws -> String? {
            guard try c.contains(key) && !c.decodeNil(forKey: key) else { return nil }
            return try c.nestedContainer(keyedBy: ImageDescription.self, forKey: key).decodeIfPresent(String.self, forKey: ImageDescription())
        }
    }

    /// `/1.0/instances/<name>/state`.
    struct InstanceState: Decodable {
        var status: String
        var processes: Int?
        var cpu: CPU?
        var memory: Memory?
        var disk: [String: Disk]?
        var network: [String: Network]?

        struct CPU: Decodable { var usage: Int64? }
        struct Memory: Decodable {
            var usage: Int64?
            var usagePeak: Int64?
            enum CodingKeys: String, CodingKey { case usage, usagePeak = "usage_peak" }
        }
        struct Disk: Decodable { var usage: Int64? }
        struct Network: Decodable {
            var addresses: [Address]?
            struct Address: Decodable { var family: String?; var address: String; var netmask: String? }
        }
    }

    struct Snapshot: Decodable {
        var name: String
        var createdAt: String?
        var stateful: Bool?
        enum CodingKeys: String, CodingKey { case name, stateful, createdAt = "created_at" }
    }

    struct Member: Decodable {
        var serverName: String
        var url: String?
        var status: String?
        var message: String?
        var roles: [String]?
        enum CodingKeys: String, CodingKey { case url, status, message, roles, serverName = "server_name" }
    }

    struct Project: Decodable { var name: String; var description: String? }
    struct Profile: Decodable { var name: String; var description: String?; var usedBy: [String]?
        enum CodingKeys: String, CodingKey { case name, description, usedBy = "used_by" }
    }
    /// `GET /1.0/profiles/<name>`: what the instance side needs of a profile.
    struct ProfileDetail: Decodable { var name: String; var devices: [String: [String: String]]? }
    struct Network: Decodable { var name: String; var type: String?; var managed: Bool?; var status: String?; var description: String? }
    struct StoragePool: Decodable { var name: String; var driver: String?; var status: String?; var description: String? }
    struct Image: Decodable {
        var fingerprint: String
        var aliases: [Alias]?
        var size: Int64?
        var architecture: String?
        var type: String?
        var properties: [String: String]?
        struct Alias: Decodable { var name: String }
    }
}

/// A scalar JSON value: enough for operation metadata, whose shape varies by operation.
enum JSONLeaf: Decodable, Sendable, Equatable {
    case string(String), number(Double), bool(Bool), other

    init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let s = try? c.decode(String.self) { self = .string(s) }
        else if let n = try? c.decode(Double.self) { self = .number(n) }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else { self = .other }
    }
}
