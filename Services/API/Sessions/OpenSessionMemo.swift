import Foundation
import OrcastraRuntime
import Synchronization

/// Remembers, for a few seconds, which gateway sessions PostgreSQL said were open, so a page
/// making many calls costs one session lookup every `lifetime` instead of one per call.
///
/// Ending a session here forgets it at once, and a lookup that was in flight while any session
/// ended is not remembered (it may have read the row just before the end), so this process
/// never serves an ended session from memory. Another API replica may, for at most `lifetime`;
/// the gateway refuses such a session on its very next request anyway, because every gateway
/// read checks the "ended" flag the API sets in Redis (`SessionRevocation`).
final class OpenSessionMemo: Sendable {
    let lifetime: Duration
    private let state: Mutex<State>

    struct State {
        var open: BoundedMemo<UUID, (user: UUID, until: ContinuousClock.Instant)>
        /// Counts ends; a lookup is remembered only if none happened while it ran.
        var ends = 0
    }

    init(lifetime: Duration = .seconds(5), capacity: Int = 4096) {
        self.lifetime = lifetime
        self.state = Mutex(State(open: BoundedMemo(capacity: capacity)))
    }

    /// Whether session `id` of `user` was seen open less than `lifetime` ago.
    func believesOpen(_ id: UUID, user: UUID, now: ContinuousClock.Instant = .now) -> Bool {
        self.state.withLock { state in
            guard let entry = state.open[id] else { return false }
            return entry.user == user && now < entry.until
        }
    }

    /// A ticket to pass to `remember` after asking PostgreSQL.
    func beginLookup() -> Int { self.state.withLock { $0.ends } }

    /// Notes that `id` was found open by a lookup begun with `ticket`, unless a session ended since.
    func remember(_ id: UUID, user: UUID, ticket: Int, now: ContinuousClock.Instant = .now) {
        self.state.withLock { state in
            guard state.ends == ticket else { return }
            state.open.store((user, now + self.lifetime), for: id)
        }
    }

    /// Forgets `id`, and every lookup in flight.
    func ended(_ id: UUID) {
        self.state.withLock { state in
            state.open.remove(id)
            state.ends &+= 1
        }
    }
}
