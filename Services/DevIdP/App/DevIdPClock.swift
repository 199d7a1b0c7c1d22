import Foundation

/// Where the provider reads the time. Codes, tokens and refresh grants expire by it; tests
/// move a hand-set clock instead of sleeping through a TTL.
struct DevIdPClock: Sendable {
    var now: @Sendable () -> Date

    init(now: @escaping @Sendable () -> Date) {
        self.now = now
    }

    static let system = DevIdPClock { Date() }

    /// Whole seconds since 1970, the unit of JWT time claims.
    var seconds: Int { Int(self.now().timeIntervalSince1970) }
}
