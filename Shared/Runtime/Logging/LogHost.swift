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

/// RFC 3339 timestamps in UTC with milliseconds (`2026-01-02T03:04:05.678Z`), the form
/// OpenSearch's `date` type expects. Spelled out digit by digit from `gmtime_r`: every log line
/// carries one, and Foundation's date formatting was a visible share of a request's cost.
public enum Timestamp {
    public static func now() -> String { format(Date()) }

    public static func format(_ date: Date) -> String {
        let milliseconds = Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
        var seconds = time_t(milliseconds.floorDivided(by: 1000))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        var text = [UInt8](repeating: 0, count: 24)
        func put(_ value: Int, at offset: Int, digits: Int) {
            var v = value
            for i in stride(from: offset + digits - 1, through: offset, by: -1) {
                text[i] = UInt8(ascii: "0") + UInt8(v % 10)
                v /= 10
            }
        }
        put(Int(parts.tm_year) + 1900, at: 0, digits: 4)
        text[4] = UInt8(ascii: "-")
        put(Int(parts.tm_mon) + 1, at: 5, digits: 2)
        text[7] = UInt8(ascii: "-")
        put(Int(parts.tm_mday), at: 8, digits: 2)
        text[10] = UInt8(ascii: "T")
        put(Int(parts.tm_hour), at: 11, digits: 2)
        text[13] = UInt8(ascii: ":")
        put(Int(parts.tm_min), at: 14, digits: 2)
        text[16] = UInt8(ascii: ":")
        put(Int(parts.tm_sec), at: 17, digits: 2)
        text[19] = UInt8(ascii: ".")
        put(Int(milliseconds - Int64(seconds) * 1000), at: 20, digits: 3)
        text[23] = UInt8(ascii: "Z")
        return String(decoding: text, as: UTF8.self)
    }
}

extension Int64 {
    /// Division rounding towards minus infinity, so times before 1970 keep a positive remainder.
    fileprivate func floorDivided(by divisor: Int64) -> Int64 {
        let (q, r) = self.quotientAndRemainder(dividingBy: divisor)
        return r < 0 ? q - 1 : q
    }
}
