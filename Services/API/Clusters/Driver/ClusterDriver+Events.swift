import Foundation

extension ClusterDriver {
    /// LXD's lifecycle events of every project as they happen
    /// (`/1.0/events?type=lifecycle&all-projects=true`, a WebSocket on the pinned connection).
    /// The sequence ends when the connection does; events it cannot read are skipped.
    func lifecycleEvents() async throws -> some AsyncSequence<LXD.LifecycleEvent, any Error> {
        let messages = try await self.https.textMessages("/1.0/events?type=lifecycle&all-projects=true", deadline: self.timeout)
        return messages.compactMap { text in try? JSONDecoder().decode(LXD.LifecycleEvent.self, from: Data(text.utf8)) }
    }
}

extension LXD {
    /// One lifecycle event, such as `instance-started` of `/1.0/instances/web?project=shop`.
    struct LifecycleEvent: Decodable, Sendable {
        var type: String
        var project: String?
        var metadata: Metadata

        struct Metadata: Decodable, Sendable {
            var action: String
            var source: String
        }

        /// The instance an `instance-…` event is about (its project from the source's query,
        /// else the event's, else `default`); nil for other events and for snapshots.
        var instance: (project: String, name: String)? {
            guard self.metadata.action.hasPrefix("instance-"), !self.metadata.action.hasPrefix("instance-snapshot"),
                  let components = URLComponents(string: self.metadata.source) else { return nil }
            let segments = components.path.split(separator: "/")
            guard segments.count == 3, segments[0] == "1.0", segments[1] == "instances" else { return nil }
            let project = components.queryItems?.first { $0.name == "project" }?.value ?? self.project ?? "default"
            return (project, String(segments[2]).removingPercentEncoding ?? String(segments[2]))
        }
    }
}
