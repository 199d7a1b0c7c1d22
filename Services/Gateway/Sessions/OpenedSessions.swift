import OrcastraRuntime
import Synchronization

/// Sessions this gateway has already unsealed, keyed by their Redis key and kept with the
/// exact bytes they were unsealed from.
///
/// Every request still reads the value from Redis (that read renews the idle time and checks
/// the API's "ended" flag, so revocation stays immediate on every replica); only when the bytes
/// are the same as last time is the AES-GCM open and JSON decode skipped, since the same bytes
/// under the same key can only unseal to the same session. A refreshed or re-saved session has
/// new bytes (a fresh nonce) and is unsealed again. Bounded: past `capacity` it starts afresh.
final class OpenedSessions: Sendable {
    private let entries: Mutex<BoundedMemo<String, (value: [UInt8], session: GatewaySession)>>

    init(capacity: Int = 2048) {
        self.entries = Mutex(BoundedMemo(capacity: capacity))
    }

    /// The session unsealed earlier from exactly `value` at `key`, if any.
    func session(at key: String, value: [UInt8]) -> GatewaySession? {
        self.entries.withLock { entries in
            guard let entry = entries[key], entry.value == value else { return nil }
            return entry.session
        }
    }

    func remember(_ session: GatewaySession, at key: String, value: [UInt8]) {
        self.entries.withLock { $0.store((value, session), for: key) }
    }

    func forget(_ key: String) {
        self.entries.withLock { $0.remove(key) }
    }
}
