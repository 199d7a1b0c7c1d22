import Synchronization

/// Runs an operation with a deadline that does not depend on the operation: at the deadline
/// the caller gets `orFail` and goes on, the operation is cancelled and left to end (or not)
/// on its own. A task group cannot do this — it always waits for its children — so an
/// operation that ignores cancellation and never returns would hold its caller forever.
///
/// For calls into libraries that can lose a request (see `PostgresConnection.boundedQuery`); an
/// abandoned operation keeps whatever it holds until it ends, so this is a guard against a
/// rare fault, not a way to time out ordinary work.
enum Abandoning {
    static func run<T: Sendable>(after limit: Duration, orFail timeout: some Error,
                                 _ operation: @escaping @Sendable () async throws -> T) async throws -> T {
        let race = Race<T>()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                race.start(continuation, tasks: [
                    Task {
                        do { race.finish(.success(try await operation())) } catch { race.finish(.failure(error)) }
                    },
                    Task {
                        try? await Task.sleep(for: limit)
                        race.finish(.failure(timeout))
                    },
                ])
            }
        } onCancel: {
            race.finish(.failure(CancellationError()))
        }
    }

    /// The first result wins: it resumes the caller once and cancels both tasks (the timer
    /// then ends at once; the operation when it heeds it).
    private final class Race<T: Sendable>: Sendable {
        private struct State {
            var continuation: CheckedContinuation<T, any Error>?
            var tasks: [Task<Void, Never>] = []
            var result: Result<T, any Error>?
        }

        private let state = Mutex(State())

        func start(_ continuation: CheckedContinuation<T, any Error>, tasks: [Task<Void, Never>]) {
            let early: Result<T, any Error>? = self.state.withLock { state in
                state.tasks = tasks
                if let result = state.result { return result }
                state.continuation = continuation
                return nil
            }
            if let early {
                tasks.forEach { $0.cancel() }
                continuation.resume(with: early)
            }
        }

        func finish(_ result: Result<T, any Error>) {
            let (waiting, tasks): (CheckedContinuation<T, any Error>?, [Task<Void, Never>]) = self.state.withLock { state in
                guard state.result == nil else { return (nil, []) }
                state.result = result
                defer { state.continuation = nil }
                return (state.continuation, state.tasks)
            }
            tasks.forEach { $0.cancel() }
            waiting?.resume(with: result)
        }
    }
}
