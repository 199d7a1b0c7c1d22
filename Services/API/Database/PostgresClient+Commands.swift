import PostgresNIO

extension PostgresClient {
    /// Runs `body` while this pool runs, for commands that have no service group
    /// (`rotate-secret-key`, `register-cluster`); the pool stops when `body` ends. With a
    /// `timeout`, gives up after it: the pool would wait for an unreachable PostgreSQL much
    /// longer than a person at a terminal.
    func whileRunning<T: Sendable>(timeout: Duration? = nil, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                await self.run()
                return nil
            }
            group.addTask { try await body() }
            if let timeout {
                group.addTask {
                    try await Task.sleep(for: timeout)
                    throw TimedOut(timeout: timeout)
                }
            }
            defer { group.cancelAll() }
            while let result = try await group.next() {
                if let value = result { return value }
            }
            throw CancellationError()
        }
    }

    struct TimedOut: Error, CustomStringConvertible {
        var timeout: Duration
        var description: String { "PostgreSQL did not answer within \(self.timeout)" }
    }
}

extension PostgresQuery {
    /// `head` (fixed SQL, no parameters) followed by `filter` with its bound parameters: for
    /// a SELECT whose columns are written once and whose WHERE varies.
    init(_ head: String, _ filter: PostgresQuery) {
        self.init(unsafeSQL: head + " " + filter.sql, binds: filter.binds)
    }
}
