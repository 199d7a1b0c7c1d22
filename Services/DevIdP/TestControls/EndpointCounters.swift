import Synchronization

/// How many times the introspection and userinfo endpoints were asked, so that a test can
/// assert how often a resource server checked a token with the provider (what its cache saves).
///
/// Like `JWKSFaults`' counter, these run whether or not test controls are mounted.
final class EndpointCounters: Sendable {
    private let state = Mutex((introspection: 0, userinfo: 0))

    init() {}

    func countIntrospection() { self.state.withLock { $0.introspection += 1 } }
    func countUserinfo() { self.state.withLock { $0.userinfo += 1 } }

    var introspection: Int { self.state.withLock { $0.introspection } }
    var userinfo: Int { self.state.withLock { $0.userinfo } }
}
