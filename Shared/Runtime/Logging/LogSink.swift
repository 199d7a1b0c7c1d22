import Foundation
import Synchronization

/// The single writer of log lines for a process: one line per `write`, never interleaved.
///
/// Fluent Bit reads stdout line by line, so a line must reach the file descriptor whole; a
/// lock around one `write(2)` of the complete line guarantees that across threads.
/// Tests swap the destination for a buffer to read the lines back.
public final class LogSink: Sendable {
    /// Where lines go.
    public enum Destination: Sendable {
        case fileDescriptor(Int32)
        case memory
    }

    private let destination: Destination
    private let lock = Mutex<[String]>([])

    public init(_ destination: Destination = .fileDescriptor(1)) {
        self.destination = destination
    }

    /// The shared sink on standard output.
    public static let standardOutput = LogSink()

    public func write(line: String) {
        self.lock.withLock { captured in
            switch self.destination {
            case .memory:
                captured.append(line)
            case .fileDescriptor(let fd):
                var bytes = Array(line.utf8)
                bytes.append(UInt8(ascii: "\n"))
                var offset = 0
                while offset < bytes.count {
                    let n = bytes[offset...].withUnsafeBytes { Foundation.write(fd, $0.baseAddress, $0.count) }
                    if n <= 0 { break }
                    offset += n
                }
            }
        }
    }

    /// Lines captured by a `.memory` sink, oldest first.
    public var lines: [String] { self.lock.withLock { $0 } }

    /// Encodes `value` as one compact JSON line.
    public func write(json value: some Encodable) {
        guard let data = try? Self.encoder.encode(value) else { return }
        self.write(line: String(decoding: data, as: UTF8.self))
    }

    static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
        return e
    }()
}
