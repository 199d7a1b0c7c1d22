import OrcastraRuntime
import Synchronization

/// Sessions this gateway has unsealed, keyed by their Redis key: what spares the AES-GCM open
/// and JSON decode of a session read again, and, while the gateway is subscribed to the
/// session announcements, the Redis read itself for a short while (`trusted(at:)`).
///
/// Reuse by bytes: the same bytes under the same key can only unseal to the same session, so a
/// read that returns the bytes of last time skips the unsealing. A refreshed or re-saved
/// session has new bytes (a fresh nonce).
///
/// Trust without a read: every change to a session is announced on a Redis channel
/// (`SessionAnnouncements`): the API announces a session it ends, a gateway one it saves or
/// deletes. A session read from Redis is then served from here for `window` (the vault's
/// `trustWindow`), and the announcement of a change removes it at once, on every replica.
/// Nothing is trusted while the subscription is down (everything is dropped when it drops, as
/// announcements may have been missed), and a read that overlapped any announcement is not
/// trusted either: it may have read what the announcement just changed (`generation`).
/// Bounded: past `capacity` it starts afresh.
final class OpenedSessions: Sendable {
    struct Entry {
        var value: [UInt8]
        var session: GatewaySession
        /// The API's session id as the announcement of its end names it.
        var apiSession: String
        /// Until when the session may be served without reading Redis; nil: never.
        var trustedUntil: ContinuousClock.Instant?
    }

    private struct State {
        var entries: BoundedMemo<String, Entry>
        var subscribed = false
        /// Moves on with every announcement and every change of the subscription.
        var generation: UInt64 = 0
    }

    private let state: Mutex<State>

    init(capacity: Int = 2048) {
        self.state = Mutex(State(entries: BoundedMemo(capacity: capacity)))
    }

    /// The session at `key`, and its API session id as sent to the API, if a recent read may
    /// stand for a new one.
    func trusted(at key: String, now: ContinuousClock.Instant = .now) -> (session: GatewaySession, apiSession: String)? {
        self.state.withLock { state in
            guard state.subscribed, let entry = state.entries[key], let until = entry.trustedUntil, now < until else { return nil }
            return (entry.session, entry.apiSession)
        }
    }

    /// Taken before a read: `remember` trusts the read only if nothing was announced since.
    var generation: UInt64 { self.state.withLock { $0.generation } }

    /// The session unsealed earlier from exactly `value` at `key`, if any.
    func session(at key: String, value: [UInt8]) -> GatewaySession? {
        self.state.withLock { state in
            guard let entry = state.entries[key], entry.value == value else { return nil }
            return entry.session
        }
    }

    /// Keeps a session just read from Redis; trusted for `window` when the subscription is up
    /// and no announcement came since `generation` was taken.
    func remember(_ session: GatewaySession, at key: String, value: [UInt8], apiSession: String, readAt generation: UInt64, window: Duration) {
        let now = ContinuousClock.now
        self.state.withLock { state in
            let trust = state.subscribed && state.generation == generation
            state.entries.store(Entry(value: value, session: session, apiSession: apiSession, trustedUntil: trust ? now + window : nil), for: key)
        }
    }

    func forget(_ key: String) {
        self.state.withLock { state in
            state.generation &+= 1
            state.entries.remove(key)
        }
    }

    /// An announcement from the channel.
    func announced(_ message: [UInt8]) {
        self.state.withLock { state in
            state.generation &+= 1
            switch SessionAnnouncements.parse(message) {
            case .saved(let key):
                state.entries.remove(key)
            case .ended(let apiSession):
                state.entries.removeAll { $0.apiSession == apiSession }
            case nil:
                // Unreadable: drop all trust rather than guess which session it meant.
                state.entries.removeAll()
            }
        }
    }

    /// The subscription came up or went down; either way what was trusted before is not now.
    func subscription(up: Bool) {
        self.state.withLock { state in
            state.generation &+= 1
            state.subscribed = up
            state.entries.removeAll()
        }
    }
}
