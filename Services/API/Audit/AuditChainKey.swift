import Crypto
import Foundation
import Logging
import PostgresNIO
import Synchronization

/// The secret that keys the audit chain, kept in the secret store (Vault or the embedded one),
/// never in the audit tables.
///
/// With the key, each row's hash is an HMAC: whoever can rewrite `audit_events` (the schema's
/// owner, a superuser, a restored backup) but cannot read the secret store cannot recompute a
/// chain that verifies. The key is made on the first append after this feature shipped;
/// `keyedFromSeq` records where keying began, so a trail written before it still verifies
/// (its older rows with the plain SHA-256 of the earlier releases), and is kept beside the key
/// where the database cannot move it.
struct AuditChainKey: Sendable {
    /// Where the key lives; no API route reads or writes under `orcastra/audit`.
    static let path = try! SecretPath("orcastra/audit/chain-key")

    let key: SymmetricKey
    /// The first `seq` hashed with the key; every later row is keyed too.
    let keyedFromSeq: Int64

    init(key: SymmetricKey, keyedFromSeq: Int64) {
        self.key = key
        self.keyedFromSeq = keyedFromSeq
    }

    /// The stored form: the key in base64 and the first keyed `seq` in decimal.
    init?(stored: [String: String]) {
        guard let encoded = stored["key"], let bytes = Data(base64Encoded: encoded), bytes.count == 32,
              let text = stored["keyed_from_seq"], let seq = Int64(text), seq >= 1 else { return nil }
        self.init(key: SymmetricKey(data: bytes), keyedFromSeq: seq)
    }

    var stored: [String: String] {
        ["key": self.key.withUnsafeBytes { Data($0).base64EncodedString() }, "keyed_from_seq": String(self.keyedFromSeq)]
    }

    /// The key for row `seq`, or nil for a row written before keying began.
    func key(for seq: Int64) -> SymmetricKey? {
        seq >= self.keyedFromSeq ? self.key : nil
    }
}

/// Loads the chain key once per process and caches it; makes it on the first append.
///
/// A sealed or unreachable Vault before the key was first loaded makes appends fail with the
/// secret store's 503, so a change that cannot be audited is not made; once loaded, the key
/// stays in memory and Vault's later state does not matter to the trail.
final class AuditChainKeys: Sendable {
    let store: any SecretStore
    private let cached = Mutex<AuditChainKey?>(nil)

    init(store: any SecretStore) {
        self.store = store
    }

    /// The key for the next append, fetched before the appender opens its transaction: the
    /// secret store may be Vault (a network call) or the embedded store (another connection of
    /// the same pool, which appenders queued on the chain lock could have exhausted).
    ///
    /// Made here when there is none: keying starts after the head as read now. No append can
    /// slip in between, since every append needs the key first; two processes making it at once
    /// race on compare-and-set, and the loser takes the winner's key.
    func forAppend(client: PostgresClient, logger: Logger) async throws -> AuditChainKey {
        if let key = self.cached.withLock({ $0 }) { return key }
        if let found = try await self.load() { return found }
        var headSeq: Int64 = 0
        for try await seq in try await client.boundedQuery("SELECT seq FROM audit_chain_head", logger: logger).decode(Int64.self) { headSeq = seq }
        let made = AuditChainKey(key: SymmetricKey(size: .bits256), keyedFromSeq: headSeq + 1)
        do {
            try await self.store.write(AuditChainKey.path, data: made.stored, cas: 0)
        } catch SecretStoreError.versionConflict {
            if let found = try await self.load() { return found }
            throw AuditChainKeyUnreadable()
        }
        self.cached.withLock { $0 = made }
        return made
    }

    /// The key for verification; nil while nothing has been appended with a key.
    func forVerify() async throws -> AuditChainKey? {
        if let key = self.cached.withLock({ $0 }) { return key }
        return try await self.load()
    }

    private func load() async throws -> AuditChainKey? {
        guard let secret = try await self.store.read(AuditChainKey.path) else { return nil }
        guard let key = AuditChainKey(stored: secret.data) else { throw AuditChainKeyUnreadable() }
        self.cached.withLock { $0 = key }
        return key
    }
}

/// The stored chain key is not one: nothing can be appended or verified until it is restored.
struct AuditChainKeyUnreadable: Error, CustomStringConvertible {
    var description: String { "the audit chain key in the secret store (\(AuditChainKey.path)) is missing or malformed" }
}
