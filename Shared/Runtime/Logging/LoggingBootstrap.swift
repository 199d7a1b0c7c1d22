import Logging
import Synchronization

extension JSONLogHandler {
    private static let bootstrapped = Atomic<Bool>(false)

    /// `LoggingSystem.bootstrap` may run once per process; tests build many applications in
    /// one process, so later calls are ignored.
    public static func bootstrapOnce(config: ServiceConfig, sink: LogSink = .standardOutput) {
        guard !bootstrapped.exchange(true, ordering: .acquiringAndReleasing) else { return }
        bootstrap(config: config, sink: sink)
    }
}
