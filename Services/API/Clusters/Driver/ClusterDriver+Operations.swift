import Foundation

/// LXD operations (`/1.0/operations`): what a change started, followed to its end.
extension ClusterDriver {
    /// The operation's current state (progress included).
    func operation(_ id: String) async throws -> LXD.Operation {
        try await self.restGet("/1.0/operations/\(Self.escape(id))")
    }

    /// Waits until the operation ends (asking LXD to hold each call up to `step`) and returns
    /// it; past `deadline` it gives up with `ClusterError.timeout`.
    func wait(_ id: String, until deadline: ContinuousClock.Instant, step: Duration = .seconds(10)) async throws -> LXD.Operation {
        let patient = self.with(timeout: step + .seconds(5))
        let started = ContinuousClock.now
        while ContinuousClock.now < deadline {
            try Task.checkCancellation()
            let operation: LXD.Operation = try await patient.restGet("/1.0/operations/\(Self.escape(id))/wait", query: ["timeout": String(Int(step.seconds))])
            if operation.isFinished { return operation }
        }
        throw ClusterError.timeout(seconds: (ContinuousClock.now - started).seconds)
    }
}
