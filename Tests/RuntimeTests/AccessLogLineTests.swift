import Foundation
import OrcastraModels
import OrcastraRuntime
import Testing

/// The per-request logging path without Foundation's encoders and formatters: the hand-built
/// access line must say exactly what `Codable` says, the timestamp what the ISO 8601 formatter
/// says, and the sink must neither block its callers on a stalled reader nor lose or mix lines.
@Suite("Access line and log writer")
struct AccessLogLineTests {
    static func entry(path: String = "/api/v1/instances", query: String? = nil, latency: Double = 1.25, userAgent: String? = nil,
                      error: String? = nil, groups: [String] = ["ops"]) -> AccessLogEntry {
        AccessLogEntry(
            timestamp: "2025-01-02T03:04:05.123Z", requestID: "r-1", service: "orcastra-gateway", version: "1.0.0",
            method: "GET", path: path, queryParams: query, statusCode: 200, latencyMs: latency, requestSize: 0,
            responseSize: 512, user: AccessLogUser(id: "u-1", type: "user", role: nil, groups: groups),
            client: AccessLogClient(ip: "10.0.0.9", proxyIP: nil, ipSource: "x-forwarded-for", proxyTrusted: true,
                                    userAgent: userAgent, origin: "https://orcastra.test"),
            error: error, host: LogHost(name: "h1", containerID: nil))
    }

    static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
        return e
    }()

    @Test("the hand-built line is byte for byte what JSONEncoder writes for an ordinary request")
    func sameBytes() throws {
        for entry in [Self.entry(), Self.entry(query: "limit=5&cursor=abc", latency: 0.042, userAgent: "curl/8", error: "not_found", groups: [])] {
            let expected = String(decoding: try Self.encoder.encode(entry), as: UTF8.self)
            #expect(String(decoding: entry.jsonLine(), as: UTF8.self) == expected)
        }
    }

    @Test("hostile and unusual values read back as the same entry", arguments: [
        Self.entry(path: "/a\"b\\c/d"),
        Self.entry(userAgent: "line\nbreak\ttab\r\u{01}\u{1f}\u{08}\u{0c}"),
        Self.entry(userAgent: "naïve ☃ 𝄞 \u{2028}"),
        Self.entry(query: "q=</script>"),
        Self.entry(latency: 0),
        Self.entry(latency: 12_345.678),
        Self.entry(latency: 0.001),
        Self.entry(latency: 3),
    ])
    func roundTrip(entry: AccessLogEntry) throws {
        let line = entry.jsonLine()
        #expect(!line.contains(UInt8(ascii: "\n")), "a line must stay one line")
        #expect(try JSONDecoder().decode(AccessLogEntry.self, from: Data(line)) == entry)
        let keys = try #require(try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any]).keys
        #expect(Set(keys) == Set(try #require(try JSONSerialization.jsonObject(with: Self.encoder.encode(entry)) as? [String: Any]).keys))
    }

    @Test("timestamps are what the ISO 8601 formatter gives, with milliseconds, in UTC")
    func timestamps() {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        formatter.timeZone = TimeZone(identifier: "UTC")
        for seconds in [0.0, 1.5, 951_782_400.999, 1_764_990_000.042, 4_102_444_799.5, Date().timeIntervalSince1970.rounded(.down) + 0.25] {
            let date = Date(timeIntervalSince1970: seconds)
            #expect(Timestamp.format(date) == formatter.string(from: date), "\(seconds)")
        }
        #expect(Timestamp.now().count == 24)
    }

    @Test("a stalled reader does not block writers; every line arrives whole, none mixed, after flush")
    func stalledReader() async throws {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        let (readEnd, writeEnd) = (fds[0], fds[1])
        defer { close(readEnd) }
        let sink = LogSink(.fileDescriptor(writeEnd))
        let line = String(repeating: "x", count: 200)
        // 4,000 lines × 201 bytes is twelve times what a pipe holds: written synchronously,
        // this would stop at the pipe's 64 KiB with nobody reading yet.
        let wrote = await withTaskGroup(of: Int.self) { group in
            for writer in 0..<4 {
                group.addTask {
                    for i in 0..<1000 { sink.write(line: "\(writer)-\(i)-\(line)") }
                    return 1000
                }
            }
            return await group.reduce(0, +)
        }
        #expect(wrote == 4000)
        let reader = Task.detached { () -> [String] in
            var data = Data()
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                let n = read(readEnd, &buffer, buffer.count)
                if n <= 0 { break }
                data.append(contentsOf: buffer[0..<n])
            }
            return String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init)
        }
        sink.flush()
        close(writeEnd)
        let lines = await reader.value
        #expect(lines.count == 4000)
        #expect(lines.allSatisfy { $0.hasSuffix(line) && $0.split(separator: "-").count == 3 })
        #expect(Set(lines).count == 4000)
    }
}
