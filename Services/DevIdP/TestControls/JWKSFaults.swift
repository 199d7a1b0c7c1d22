import Synchronization

/// The JWKS route's test switches and counter: the status it answers (200 normally, anything
/// else set through `/_test/jwks`) and how many times it was asked.
///
/// The counter runs whether or not test controls are mounted; only the routes that read and
/// set it are optional.
final class JWKSFaults: Sendable {
    private let state = Mutex((status: 200, requests: 0))

    init() {}

    /// Counts one JWKS request and returns the status to answer it with.
    func recordRequest() -> Int {
        self.state.withLock { state in
            state.requests += 1
            return state.status
        }
    }

    var requests: Int { self.state.withLock { $0.requests } }

    var status: Int {
        get { self.state.withLock { $0.status } }
        set { self.state.withLock { $0.status = newValue } }
    }
}
