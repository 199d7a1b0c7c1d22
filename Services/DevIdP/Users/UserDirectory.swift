import OrcastraRuntime
import Crypto
import Foundation
import Synchronization

/// A seeded account as the provider and the Authentik API subset see it.
struct DirectoryUser: Sendable, Equatable {
    /// Authentik's integer primary key; seed order, from 1.
    var pk: Int
    var username: String
    var name: String
    var email: String
    /// Group names, in the order the seed file lists them.
    var groups: [String]
    /// The token `sub` and the API's `uid`: hex SHA-256 of the username. Authentik's default
    /// subject mode ("hashed user id") also sends a hex SHA-256 that never changes for a user.
    var uid: String
    fileprivate var password: String
}

/// A group made from the names the users mention.
struct DirectoryGroup: Sendable, Equatable {
    /// Authentik group primary keys are UUIDs; ours are derived from the name so that they
    /// stay the same across restarts.
    var pk: String
    /// Authentik's `num_pk`; order of first mention, from 1.
    var numPK: Int
    var name: String
    /// Member user pks.
    var members: [Int]
}

/// The accounts and groups of the seed file, fixed for the process's life but for whether
/// each account is active (Authentik's `is_active`, changed through the API).
struct UserDirectory: Sendable {
    /// By pk (seed order).
    let users: [DirectoryUser]
    /// By num_pk (first mention).
    let groups: [DirectoryGroup]
    /// The pks of deactivated accounts.
    private let inactive = InactiveUsers()

    final class InactiveUsers: Sendable {
        let pks = Mutex<Set<Int>>([])
    }

    init(seed: [SeedUser]) {
        var users: [DirectoryUser] = []
        var groups: [DirectoryGroup] = []
        for (index, seedUser) in seed.enumerated() {
            let pk = index + 1
            users.append(DirectoryUser(
                pk: pk, username: seedUser.username, name: seedUser.name, email: seedUser.email,
                groups: seedUser.groups.reduce(into: []) { if !$0.contains($1) { $0.append($1) } },
                uid: Self.hexSHA256(seedUser.username), password: seedUser.password
            ))
            for name in seedUser.groups {
                if let existing = groups.firstIndex(where: { $0.name == name }) {
                    if !groups[existing].members.contains(pk) { groups[existing].members.append(pk) }
                } else {
                    groups.append(DirectoryGroup(pk: Self.groupUUID(name), numPK: groups.count + 1, name: name, members: [pk]))
                }
            }
        }
        self.users = users
        self.groups = groups
    }

    func user(named username: String) -> DirectoryUser? {
        self.users.first { $0.username == username }
    }

    func user(pk: Int) -> DirectoryUser? {
        self.users.first { $0.pk == pk }
    }

    func group(named name: String) -> DirectoryGroup? {
        self.groups.first { $0.name == name }
    }

    func isActive(_ user: DirectoryUser) -> Bool {
        !self.inactive.pks.withLock { $0.contains(user.pk) }
    }

    /// Activates or deactivates an account (Authentik's `is_active`).
    func setActive(_ active: Bool, pk: Int) {
        self.inactive.pks.withLock { if active { $0.remove(pk) } else { $0.insert(pk) } }
    }

    /// The user when the password matches and the account is active (Authentik refuses
    /// inactive users at sign-in). An unknown username still costs a comparison, so timing
    /// does not tell which usernames exist.
    func authenticate(username: String, password: String) -> DirectoryUser? {
        guard let user = self.user(named: username) else {
            _ = SecureCompare.equal(password, "no such user")
            return nil
        }
        return SecureCompare.equal(password, user.password) && self.isActive(user) ? user : nil
    }

    static func hexSHA256(_ text: String) -> String {
        Hex.encode(SHA256.hash(data: Array(text.utf8)))
    }

    /// A name-based UUID (version 8, "custom": the first 16 bytes of a SHA-256).
    static func groupUUID(_ name: String) -> String {
        var bytes = Array(SHA256.hash(data: Array("orcastra-devidp group \(name)".utf8)).prefix(16))
        bytes[6] = (bytes[6] & 0x0F) | 0x80
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        let uuid = UUID(uuid: (bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
                               bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]))
        return uuid.uuidString.lowercased()
    }
}
