import Foundation
import OrcastraRuntime

/// One account of the seed file (`DEVIDP_SEED_FILE`):
/// `{"users":[{"username","password","name","email","groups":[…]}]}`.
///
/// Only `username` and `password` are required: `name` defaults to the username, `email` to
/// empty (Authentik allows both), `groups` to none.
struct SeedUser: Sendable, Equatable, Codable {
    var username: String
    var password: String
    var name: String
    var email: String
    var groups: [String]

    init(username: String, password: String, name: String? = nil, email: String = "", groups: [String] = []) {
        self.username = username
        self.password = password
        self.name = name ?? username
        self.email = email
        self.groups = groups
    }

    enum CodingKeys: String, CodingKey { case username, password, name, email, groups }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            username: try c.decode(String.self, forKey: .username),
            password: try c.decode(String.self, forKey: .password),
            name: try c.decodeIfPresent(String.self, forKey: .name),
            email: try c.decodeIfPresent(String.self, forKey: .email) ?? "",
            groups: try c.decodeIfPresent([String].self, forKey: .groups) ?? []
        )
    }
}

/// Reading and checking the seed file; every problem is a `ConfigError` naming the variable.
enum SeedFile {
    static let variable = "DEVIDP_SEED_FILE"

    private struct Document: Decodable { var users: [SeedUser] }

    static func load(path: String) throws(ConfigError) -> [SeedUser] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigError(Self.variable, "names \(path), which cannot be read")
        }
        return try Self.parse(data, path: path)
    }

    static func parse(_ data: Data, path: String) throws(ConfigError) -> [SeedUser] {
        let users: [SeedUser]
        do {
            users = try JSONDecoder().decode(Document.self, from: data).users
        } catch {
            throw ConfigError(Self.variable, "(\(path)) is not a {\"users\":[{\"username\",\"password\",…}]} document: \(Self.reason(error))")
        }
        try Self.validate(users, path: path)
        return users
    }

    /// Usernames unique and non-blank, passwords non-empty, group names non-blank.
    static func validate(_ users: [SeedUser], path: String) throws(ConfigError) {
        guard !users.isEmpty else { throw ConfigError(Self.variable, "(\(path)) has no users") }
        var seen: Set<String> = []
        for (index, user) in users.enumerated() {
            let which = "user #\(index + 1)"
            guard !user.username.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw ConfigError(Self.variable, "(\(path)) has \(which) with an empty username")
            }
            guard seen.insert(user.username).inserted else {
                throw ConfigError(Self.variable, "(\(path)) has the username '\(user.username)' twice")
            }
            guard !user.password.isEmpty else {
                throw ConfigError(Self.variable, "(\(path)) has \(which) ('\(user.username)') without a password")
            }
            guard user.groups.allSatisfy({ !$0.trimmingCharacters(in: .whitespaces).isEmpty }) else {
                throw ConfigError(Self.variable, "(\(path)) has \(which) ('\(user.username)') with an empty group name")
            }
        }
    }

    /// A decoding error in one line, naming the field path but never a value (passwords).
    private static func reason(_ error: any Error) -> String {
        func path(_ keys: [any CodingKey]) -> String {
            keys.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
        }
        switch error as? DecodingError {
        case .keyNotFound(let key, let context)?: return "missing \(path(context.codingPath + [key]))"
        case .typeMismatch(_, let context)?: return "wrong type at \(path(context.codingPath))"
        case .valueNotFound(_, let context)?: return "null at \(path(context.codingPath))"
        case .dataCorrupted(let context)?: return context.codingPath.isEmpty ? "not valid JSON" : "invalid value at \(path(context.codingPath))"
        default: return "unreadable"
        }
    }
}
