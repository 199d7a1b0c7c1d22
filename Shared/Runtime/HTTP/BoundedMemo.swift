/// A dictionary that never grows past `capacity`: storing a new key into a full one first
/// empties it. The in-process memos of the request path (open sessions, unsealed sessions,
/// probe blocks) keep answers that are cheap to ask again, so starting afresh is a fine way to
/// stay bounded, and costs no bookkeeping per request. Keep it inside a lock.
public struct BoundedMemo<Key: Hashable, Value> {
    public let capacity: Int
    private var entries: [Key: Value] = [:]

    public init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    public subscript(key: Key) -> Value? { self.entries[key] }

    public mutating func store(_ value: Value, for key: Key) {
        if self.entries.count >= self.capacity, self.entries[key] == nil { self.entries.removeAll(keepingCapacity: true) }
        self.entries[key] = value
    }

    public mutating func remove(_ key: Key) {
        self.entries[key] = nil
    }

    /// Removes the entries whose value matches (a scan: for rare events, not per request).
    public mutating func removeAll(where matches: (Value) -> Bool) {
        self.entries = self.entries.filter { !matches($0.value) }
    }

    public mutating func removeAll() {
        self.entries.removeAll(keepingCapacity: true)
    }
}

extension BoundedMemo: Sendable where Key: Sendable, Value: Sendable {}
