import Foundation
import OrcastraModels

extension LogHost {
    /// This machine's name and, inside Docker, the container id (Docker sets the hostname to
    /// the short container id; `/proc/self/cgroup` names the full one on cgroup v1).
    public static let current: LogHost = {
        let name = ProcessInfo.processInfo.hostName
        let inDocker = FileManager.default.fileExists(atPath: "/.dockerenv")
        return LogHost(name: name, containerID: inDocker ? name : nil)
    }()
}

/// RFC 3339 timestamps in UTC with milliseconds, the form OpenSearch's `date` type expects.
public enum Timestamp {
    public static func now() -> String { format(Date()) }

    public static func format(_ date: Date) -> String {
        date.formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true).timeZone(separator: .omitted))
    }
}
