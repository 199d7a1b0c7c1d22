import Foundation
import Synchronization

/// The single writer of log lines for a process: one line per `write`, never interleaved, and
/// never a `write(2)` on the caller's thread.
///
/// Fluent Bit reads stdout line by line, so a line must reach the file descriptor whole. Lines
/// are appended to a buffer under a lock (a copy, no system call) and one writer thread of the
/// sink's own drains it, so an event loop that logs a request never waits on a slow pipe.
/// When the reader stalls and `maxPending` bytes are waiting, writers wait for room rather
/// than drop lines: the audit lines go through here too. `flush()` waits until everything
/// written so far is out; `Startup` calls it before the process ends.
/// Tests swap the destination for a buffer to read the lines back.
public final class LogSink: Sendable {
    /// Where lines go.
    public enum Destination: Sendable {
        case fileDescriptor(Int32)
        case memory
    }

    /// What writers and the writer thread share; guarded by `condition`.
    ///
    /// Waking a thread is a system call, so nobody is woken who is not waiting: a writer wakes
    /// the writer thread only when it sleeps, and the writer thread wakes writers only when
    /// some wait for room or for a flush. Under load that is one wake-up per batch of lines,
    /// not one per line.
    private final class Queue: @unchecked Sendable {
        let condition = NSCondition()
        var pending: [UInt8] = []
        var writing = false
        var started = false
        var drainerAsleep = false
        /// Writers waiting for room, and callers of `flush()` waiting for the queue to empty.
        var waiters = 0
    }

    private let destination: Destination
    private let captured = Mutex<[String]>([])
    private let queue = Queue()
    let maxPending: Int

    public init(_ destination: Destination = .fileDescriptor(1), maxPending: Int = 8 << 20) {
        self.destination = destination
        self.maxPending = maxPending
    }

    /// The shared sink on standard output.
    public static let standardOutput = LogSink()

    public func write(line: String) {
        self.write(bytes: Array(line.utf8))
    }

    /// One complete line, newline excluded, as UTF-8 bytes (the hand-built JSON lines).
    public func write(bytes line: [UInt8]) {
        switch self.destination {
        case .memory:
            self.captured.withLock { $0.append(String(decoding: line, as: UTF8.self)) }
        case .fileDescriptor(let fd):
            var bytes = line
            bytes.append(UInt8(ascii: "\n"))
            self.enqueue(bytes, fd: fd)
        }
    }

    /// Lines captured by a `.memory` sink, oldest first.
    public var lines: [String] { self.captured.withLock { $0 } }

    /// Encodes `value` as one compact JSON line.
    public func write(json value: some Encodable) {
        guard let data = try? Self.encoder.encode(value) else { return }
        self.write(bytes: Array(data))
    }

    /// Returns once every line written before the call has reached the file descriptor.
    public func flush() {
        let q = self.queue
        q.condition.lock()
        while !q.pending.isEmpty || q.writing {
            q.waiters += 1
            q.condition.wait()
            q.waiters -= 1
        }
        q.condition.unlock()
    }

    private func enqueue(_ bytes: [UInt8], fd: Int32) {
        let q = self.queue
        q.condition.lock()
        if !q.started {
            q.started = true
            let thread = Thread { Self.drain(q, fd: fd) }
            thread.name = "log-writer"
            thread.start()
        }
        while q.pending.count >= self.maxPending {
            q.waiters += 1
            q.condition.wait()
            q.waiters -= 1
        }
        q.pending.append(contentsOf: bytes)
        if q.drainerAsleep { q.condition.broadcast() }
        q.condition.unlock()
    }

    /// The writer thread: takes everything pending, writes it outside the lock, repeats.
    ///
    /// Woken from sleep it lets lines gather for `coalescing` first, so a busy service
    /// writes a batch per millisecond instead of a `write(2)` per line; nobody waits on that
    /// except `flush()`.
    private static func drain(_ q: Queue, fd: Int32) {
        q.condition.lock()
        while true {
            if q.pending.isEmpty {
                while q.pending.isEmpty {
                    q.drainerAsleep = true
                    q.condition.wait()
                    q.drainerAsleep = false
                }
                q.condition.unlock()
                usleep(Self.coalescing)
                q.condition.lock()
            }
            var chunk: [UInt8] = []
            swap(&chunk, &q.pending)
            q.writing = true
            if q.waiters > 0 { q.condition.broadcast() }
            q.condition.unlock()
            var offset = 0
            while offset < chunk.count {
                let n = chunk[offset...].withUnsafeBytes { Foundation.write(fd, $0.baseAddress, $0.count) }
                if n < 0, errno == EINTR { continue }
                if n < 0, errno == EAGAIN {
                    usleep(1000)
                    continue
                }
                if n <= 0 { break }
                offset += n
            }
            q.condition.lock()
            q.writing = false
            if q.waiters > 0 { q.condition.broadcast() }
        }
    }

    /// Microseconds the writer thread lets lines gather after waking.
    static let coalescing: UInt32 = 1000

    static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
        return e
    }()
}
