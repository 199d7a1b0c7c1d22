import Synchronization

/// What the probe blocker last learned about an address, kept for `lifetime`, so an ordinary
/// request costs no Redis round trip when the same address asked a moment ago.
///
/// A block this process sets applies at once; one set by another replica is seen within
/// `lifetime` (2 s): a scanner that moves between replicas gains at most that, while every
/// user's request stops paying a Redis call to learn that it is not blocked.
final class ProbeBlockMemo: Sendable {
    let lifetime: Duration
    private let entries: Mutex<BoundedMemo<String, Entry>>

    struct Entry {
        /// When the block ends; nil when the address was not blocked.
        var blockedUntil: ContinuousClock.Instant?
        var believedUntil: ContinuousClock.Instant
    }

    enum Answer: Equatable {
        case clear
        case blocked(remaining: Duration)
    }

    init(lifetime: Duration = .seconds(2), capacity: Int = 4096) {
        self.lifetime = lifetime
        self.entries = Mutex(BoundedMemo(capacity: capacity))
    }

    /// The remembered answer for `ip`, nil when there is none still believed.
    func answer(_ ip: String, now: ContinuousClock.Instant = .now) -> Answer? {
        self.entries.withLock { entries in
            guard let entry = entries[ip], now < entry.believedUntil else { return nil }
            guard let until = entry.blockedUntil, now < until else { return .clear }
            return .blocked(remaining: until - now)
        }
    }

    /// Notes what Redis said: the block's remaining time, or nil for none.
    func note(_ ip: String, remaining: Duration?, now: ContinuousClock.Instant = .now) {
        self.store(ip, Entry(blockedUntil: remaining.map { now + $0 }, believedUntil: now + self.lifetime))
    }

    /// Notes a block this process has just set: believed for as long as it lasts.
    func blocked(_ ip: String, for duration: Duration, now: ContinuousClock.Instant = .now) {
        self.store(ip, Entry(blockedUntil: now + duration, believedUntil: now + duration))
    }

    private func store(_ ip: String, _ entry: Entry) {
        self.entries.withLock { $0.store(entry, for: ip) }
    }
}
