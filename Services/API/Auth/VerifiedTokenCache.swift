import Crypto
import Foundation
import OrcastraRuntime
import Synchronization

/// Bearer tokens already checked, so that a busy caller costs one RSA verification (or one call
/// to the provider, for an opaque token) per token rather than one per request.
///
/// - Keyed by the token's SHA-256, never the token: a memory dump or a debugger shows no
///   credential that could be replayed.
/// - An entry ends at its `expires` exactly: a JWT's `exp` with no leeway added (the leeway is
///   for clock skew at verification, not a licence to skip it), an introspected token's `exp`,
///   a userinfo answer after `OPAQUE_TOKEN_CACHE_SECONDS`.
/// - A JWT's entry also names the generation of the key set that verified it, and the caller
///   uses it only while `JWKSCache.isCurrent(generation:)`: a key removed at the provider stops
///   its tokens on the first request after the set is fetched again.
/// - At most `capacity` entries; storing into a full cache first drops the oldest entry.
/// - One lock, no actor: a hit is a hash, a dictionary read and a clock read.
final class VerifiedTokenCache: Sendable {
    struct Entry: Sendable {
        var claims: TokenClaims
        /// Seconds since 1970 from which the entry is no longer used.
        var expires: Double
        /// The JWKS generation that verified a JWT; nil for an opaque token the provider vouched for.
        var keysGeneration: UInt64?
    }

    private struct State {
        var entries: [SHA256.Digest: (entry: Entry, serial: UInt64)] = [:]
        /// Keys in the order they were stored, oldest first from `head`; a key stored again is
        /// listed again, and the older listing is skipped because its serial no longer matches.
        var order: [(key: SHA256.Digest, serial: UInt64)] = []
        var head = 0
        var serial: UInt64 = 0
        var hits = 0
    }

    let capacity: Int
    let now: @Sendable () -> Date
    private let state = Mutex(State())

    /// `capacity` 0 turns the cache off (every request is checked afresh).
    init(capacity: Int = 10_000, now: @escaping @Sendable () -> Date = { Date() }) {
        self.capacity = max(0, capacity)
        self.now = now
    }

    static func key(_ token: String) -> SHA256.Digest {
        SHA256.hash(data: Array(token.utf8))
    }

    /// The live entry for `key`, or nil (an expired one is dropped on the way).
    func entry(_ key: SHA256.Digest) -> Entry? {
        let now = self.now().timeIntervalSince1970
        return self.state.withLock { state in
            guard let found = state.entries[key] else { return nil }
            guard now < found.entry.expires else {
                state.entries[key] = nil
                return nil
            }
            state.hits += 1
            return found.entry
        }
    }

    /// Keeps `entry` under `key` unless it has already ended.
    func store(_ key: SHA256.Digest, _ entry: Entry) {
        guard self.capacity > 0, self.now().timeIntervalSince1970 < entry.expires else { return }
        self.state.withLock { state in
            state.serial += 1
            if state.entries[key] == nil {
                while state.entries.count >= self.capacity, state.head < state.order.count {
                    let oldest = state.order[state.head]
                    state.head += 1
                    if state.entries[oldest.key]?.serial == oldest.serial { state.entries[oldest.key] = nil }
                }
            }
            state.entries[key] = (entry, state.serial)
            state.order.append((key, state.serial))
            Self.compact(&state, capacity: self.capacity)
        }
    }

    func remove(_ key: SHA256.Digest) {
        _ = self.state.withLock { $0.entries.removeValue(forKey: key) }
    }

    /// Entries held, expired ones included until they are met or pushed out.
    var count: Int { self.state.withLock { $0.entries.count } }

    /// Lookups answered from the cache since it was made.
    var hits: Int { self.state.withLock { $0.hits } }

    /// Drops the listings already consumed or superseded once they outnumber the live entries,
    /// so that `order` stays within a small multiple of `capacity`.
    private static func compact(_ state: inout State, capacity: Int) {
        guard state.order.count > 2 * capacity + 64 else { return }
        let entries = state.entries
        state.order = state.order[state.head...].filter { entries[$0.key]?.serial == $0.serial }
        state.head = 0
    }
}
