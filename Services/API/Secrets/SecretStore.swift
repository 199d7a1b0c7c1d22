import Foundation

/// Key/value secrets under logical paths (`clusters/<id>`, `orcastra/…`, `integrations/…`,
/// `my_keys/<user>/…`), whatever keeps them: Vault's KV v2 or the embedded store.
///
/// Callers never see backend paths (`secret/data/…`) or ciphertext; versions and
/// compare-and-set follow Vault's KV v2 meaning so that both backends behave alike.
protocol SecretStore: Sendable {
    /// The newest version, or nil when the path holds nothing.
    func read(_ path: SecretPath) async throws -> StoredSecret?
    /// Writes a new version and returns its number. With `cas`, the write happens only if the
    /// current version is exactly `cas` (0: only if the path holds nothing yet).
    @discardableResult
    func write(_ path: SecretPath, data: [String: String], cas: Int?) async throws -> Int
    /// Direct children of a folder: names, with a trailing `/` for sub-folders (Vault's LIST).
    func list(_ folder: SecretPath) async throws -> [String]
    /// Removes every version of the path.
    func delete(_ path: SecretPath) async throws
}

/// One version of a secret.
struct StoredSecret: Sendable, Equatable {
    var data: [String: String]
    var version: Int
    var createdAt: Date
}

/// Why a secret operation failed, in terms a caller can act on.
enum SecretStoreError: Error, Equatable, CustomStringConvertible {
    /// Compare-and-set did not match; `current` is the version found.
    case versionConflict(expected: Int, current: Int)
    /// A stored value could not be decrypted or failed its integrity check.
    case corrupted(path: String)
    /// The backend refused (Vault policy).
    case denied(path: String)
    /// The backend cannot be used now (sealed, unreachable, standby).
    case unavailable(code: String, message: String)

    var description: String {
        switch self {
        case .versionConflict(let expected, let current): "version conflict: expected version \(expected), found \(current)"
        case .corrupted(let path): "the secret at \(path) failed its integrity check"
        case .denied(let path): "the secret store refused access to \(path)"
        case .unavailable(_, let message): message
        }
    }
}

/// A validated logical secret path: slash-separated segments of letters, digits, `.`, `_`,
/// `-` and `@`, under one of the roots the product uses.
struct SecretPath: Hashable, Sendable, CustomStringConvertible {
    static let roots: Set<String> = ["clusters", "orcastra", "integrations", "my_keys"]

    let segments: [String]

    init(_ text: String) throws(SecretPathError) {
        let trimmed = text.hasSuffix("/") ? String(text.dropLast()) : text
        let parts = trimmed.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard let root = parts.first, Self.roots.contains(root) else {
            throw SecretPathError(path: text, reason: "must start with one of \(Self.roots.sorted().joined(separator: ", "))")
        }
        for part in parts {
            guard !part.isEmpty, part != ".", part != "..", part.count <= 128,
                  part.unicodeScalars.allSatisfy({ $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "._-@".unicodeScalars.contains($0)) })
            else {
                throw SecretPathError(path: text, reason: "has an empty or invalid segment '\(part)'")
            }
        }
        self.segments = parts
    }

    var description: String { self.segments.joined(separator: "/") }
}

/// A path that is not a valid logical secret path.
struct SecretPathError: Error, Equatable, CustomStringConvertible {
    var path: String
    var reason: String
    var description: String { "secret path '\(self.path)' \(self.reason)" }
}
