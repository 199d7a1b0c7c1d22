import Foundation

/// The steady load a drill runs under: what a dashboard asks through the gateway (pages, the
/// lists, a cluster's status, the audit log, the caller's keys), from `workers` concurrent
/// callers paced to `rate` requests a second in all. Every answer is kept as a `Sample`.
struct SteadyLoad: Sendable {
    let client: DrillClient
    let paths: [String]
    var rate = 200
    var workers = 16

    /// Page routes, answered as HTML (an error too); everything else is the API's JSON.
    static let pages: Set<String> = ["/", "/clusters", "/instances", "/audit"]

    /// The dashboard's reads, with `cluster` the id of a registered cluster.
    static func dashboardPaths(cluster: String) -> [String] {
        ["/", "/api/v1/me", "/api/v1/clusters", "/instances", "/api/v1/instances", "/api/v1/clusters/\(cluster)/status",
         "/clusters", "/api/v1/audit-log?limit=5", "/api/v1/me/keys", "/api/v1/clusters/\(cluster)/instances"]
    }

    struct Sample: Sendable {
        /// When the request was sent, from the start of the load.
        var sent: Duration
        var path: String
        var status: Int
        var elapsed: Duration
        /// A success, or a failure in the shape its route owes: an HTML page for a page route,
        /// `{"error":{"code","message"}}` for the API.
        var shaped: Bool
        var code: String?
    }

    /// Runs for `duration` and answers every sample.
    func run(for duration: Duration) async -> [Sample] {
        let start = ContinuousClock.now
        let interval = Duration.seconds(Double(self.workers) / Double(self.rate))
        return await withTaskGroup(of: [Sample].self) { group in
            for worker in 0..<self.workers {
                group.addTask {
                    var samples: [Sample] = []
                    var next = start + interval * (Double(worker) / Double(self.workers))
                    var turn = worker
                    while next < start + duration {
                        try? await Task.sleep(until: next, clock: .continuous)
                        let path = self.paths[turn % self.paths.count]
                        turn += self.workers
                        let sent = ContinuousClock.now - start
                        let answer = await self.client.call(.GET, path)
                        let (shaped, code) = Self.shape(answer, page: Self.pages.contains(path))
                        samples.append(Sample(sent: sent, path: path, status: answer.status, elapsed: answer.elapsed, shaped: shaped, code: code))
                        next = max(next + interval, ContinuousClock.now)
                    }
                    return samples
                }
            }
            return await group.reduce(into: []) { $0 += $1 }
        }
    }

    /// Whether `answer` has the shape its route owes, and its error code when it is JSON.
    static func shape(_ answer: DrillClient.Answer, page: Bool) -> (Bool, String?) {
        if answer.ok { return (true, nil) }
        if page { return (answer.contentType.hasPrefix("text/html") && answer.text.contains("<html"), nil) }
        guard answer.contentType.hasPrefix("application/json"),
              let object = try? JSONSerialization.jsonObject(with: answer.body) as? [String: Any],
              let error = object["error"] as? [String: Any], let code = error["code"] as? String, error["message"] is String else {
            return (false, nil)
        }
        return (true, code)
    }
}
