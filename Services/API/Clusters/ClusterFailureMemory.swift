import Foundation
import OrcastraModels
import Synchronization

/// Which clusters recently gave the aggregated instance list no answer, and why.
///
/// A cluster that is down or hung costs the list its deadline (`LXD_LIST_TIMEOUT_SECONDS`);
/// without a memory every request pays it again. A failure is kept for `window`
/// (`LXD_LIST_FAILURE_MEMORY_SECONDS`): within it the list reports the cluster at once with
/// the remembered error and does not ask; after it the cluster is asked again. Only failures
/// that cost time are kept (no connection, no answer in time): a server that answers with an
/// error answers quickly, and its next answer may well be different.
///
/// Keyed by cluster id, with the endpoint the failure was seen at: a cluster moved to another
/// address is asked there at once. So there is at most one entry per registered cluster, and
/// `forget` drops a removed cluster's.
final class ClusterFailureMemory: Sendable {
    struct Failure: Sendable, Equatable {
        var error: ClusterError
        var endpoint: String
        var at: ContinuousClock.Instant
    }

    let window: Duration
    private let failures = Mutex<[UUID: Failure]>([:])

    init(window: Duration) {
        self.window = window
    }

    /// Whether `error` is kept: only those that cost the caller time.
    static func remembers(_ error: ClusterError) -> Bool {
        switch error {
        case .unreachable, .timeout: true
        case .tls, .server, .badResponse: false
        }
    }

    /// The failure `cluster` had at its current endpoint within the window; nil when there is
    /// none (or only an older one, which is forgotten here, so the cluster is asked again).
    func recall(_ cluster: Cluster, now: ContinuousClock.Instant = .now) -> Failure? {
        self.failures.withLock { failures in
            guard let failure = failures[cluster.id] else { return nil }
            guard failure.endpoint == cluster.endpoint, now - failure.at < self.window else {
                failures[cluster.id] = nil
                return nil
            }
            return failure
        }
    }

    /// Keeps `error` for `cluster` when it is one worth keeping (and the window is not 0).
    func remember(_ error: ClusterError, of cluster: Cluster, at now: ContinuousClock.Instant = .now) {
        guard self.window > .zero, Self.remembers(error) else { return }
        self.failures.withLock { $0[cluster.id] = Failure(error: error, endpoint: cluster.endpoint, at: now) }
    }

    /// Drops what is kept for `id` (the cluster answered, was removed, or moved).
    func forget(_ id: UUID) {
        _ = self.failures.withLock { $0.removeValue(forKey: id) }
    }

    /// How a remembered failure reads in the list: the error as it was seen, how long ago, and
    /// when the cluster will be asked again.
    func describe(_ failure: Failure, now: ContinuousClock.Instant = .now) -> String {
        let age = now - failure.at
        let left = self.window - age
        return "\(failure.error.description) (remembered from \(String(format: "%.1f", age.seconds)) s ago; not asked again for \(max(0, Int(left.seconds.rounded(.up)))) s)"
    }
}
