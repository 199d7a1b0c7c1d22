import Foundation

/// LXD operations (`/1.0/operations`): what a change started, followed to its end.
extension ClusterDriver {
    /// The operation's current state (progress included).
    func operation(_ id: String) async throws -> LXD.Operation {
        try await self.restGet("/1.0/operations/\(Self.escape(id))")
    }

    /// Waits until the operation ends (asking LXD to hold each call up to `step`) and returns
    /// it; past `deadline` it gives up with `ClusterError.timeout`.
    ///
    /// A server that answers `/wait` at once without the operation having ended (an old or
    /// broken one, or one that ignores `timeout`) must not turn this into a tight loop of calls:
    /// after an early answer the next poll waits a pause that doubles each time, from
    /// `WaitBackoff.first` up to `WaitBackoff.most`, and an answer that took its time resets it.
    func wait(_ id: String, until deadline: ContinuousClock.Instant, step: Duration = .seconds(10),
              backoff: WaitBackoff = WaitBackoff()) async throws -> LXD.Operation {
        let patient = self.with(timeout: step + .seconds(5))
        let started = ContinuousClock.now
        var backoff = backoff
        while ContinuousClock.now < deadline {
            try Task.checkCancellation()
            let asked = ContinuousClock.now
            let operation: LXD.Operation = try await patient.restGet("/1.0/operations/\(Self.escape(id))/wait", query: ["timeout": String(Int(step.seconds))])
            if operation.isFinished { return operation }
            if let pause = backoff.pause(after: ContinuousClock.now - asked, step: step) {
                try await Task.sleep(for: min(pause, max(deadline - ContinuousClock.now, .zero)))
            }
        }
        throw ClusterError.timeout(seconds: (ContinuousClock.now - started).seconds)
    }
}

/// The growing pause between `/wait` polls that came back early.
struct WaitBackoff: Sendable {
    var first: Duration = .milliseconds(100)
    var most: Duration = .seconds(5)
    private var next: Duration?

    init(first: Duration = .milliseconds(100), most: Duration = .seconds(5)) {
        self.first = first
        self.most = most
    }

    /// The pause before the next poll after one that took `took` of a `step`-long wait: none
    /// when the server held the call (at least half the step), else the next longer pause.
    mutating func pause(after took: Duration, step: Duration) -> Duration? {
        guard took < step / 2 else {
            self.next = nil
            return nil
        }
        let pause = self.next ?? self.first
        self.next = min(pause * 2, self.most)
        return pause
    }
}
