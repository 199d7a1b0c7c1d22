import Foundation
import Synchronization

/// Runs external programs for tests (psql, redis-server, initdb, the built services).
public enum Command {
    /// The outcome of a finished program.
    public struct Result: Sendable {
        public var status: Int32
        public var output: String
        public var error: String
    }

    /// Runs `path` with `arguments` to completion.
    ///
    /// Output goes to temporary files, not pipes: a program that leaves a daemon behind
    /// (pg_ctl, redis-server) would otherwise hold the pipe open and block the reader.
    ///
    /// The wait happens on a thread of its own: blocking one of the two cooperative threads of
    /// this machine for seconds (initdb, ssh-keygen) starves in-process servers of other tests.
    @discardableResult
    public static func run(_ path: String, _ arguments: [String], environment: [String: String]? = nil, input: String? = nil) async throws -> Result {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(with: Swift.Result { try self.runBlocking(path, arguments, environment: environment, input: input) })
            }
        }
    }

    /// Runs `work` (a clean-up a `defer` or `deinit` starts: dropping a test database,
    /// stopping a private server) on a thread of its own, without waiting for it; the process
    /// waits for all of them before it exits (30 s at most: a clean-up never holds up the end
    /// of a test run for long).
    ///
    /// Waiting in place would block one of the machine's two cooperative threads: two clean-ups
    /// at once in a parallel run stopped every other test's in-process servers for seconds,
    /// and their requests timed out.
    public static func inBackground(_ work: @escaping @Sendable () -> Void) {
        _ = Self.waitAtExit
        Self.cleanUps.enter()
        Thread.detachNewThread {
            work()
            Self.cleanUps.leave()
        }
    }

    private static let cleanUps = DispatchGroup()
    private static let waitAtExit: Void = { atexit { _ = Command.cleanUps.wait(timeout: .now() + 30) } }()

    /// `run` for synchronous callers on a thread of their own (`inBackground`).
    @discardableResult
    public static func runBlocking(_ path: String, _ arguments: [String], environment: [String: String]? = nil, input: String? = nil) throws -> Result {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("orc-cmd-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let inputFile = scratch.appendingPathComponent("in").path
        _ = FileManager.default.createFile(atPath: inputFile, contents: Data((input ?? "").utf8))
        let pid = try self.spawn(path, arguments, environment: environment, stdin: inputFile,
                                 stdout: scratch.appendingPathComponent("out").path, stderr: scratch.appendingPathComponent("err").path)
        let status = self.wait(pid)
        let read = { (name: String) in (try? String(contentsOf: scratch.appendingPathComponent(name), encoding: .utf8)) ?? "" }
        return Result(status: status, output: read("out"), error: read("err"))
    }

    /// Starts `path` in the background with its output sent to files; returns its pid.
    public static func spawn(_ path: String, _ arguments: [String], environment: [String: String]? = nil,
                             stdin: String = "/dev/null", stdout: String = "/dev/null", stderr: String = "/dev/null") throws -> pid_t {
        guard access(path, X_OK) == 0 else { throw MissingService("\(path) is not installed; run `make deps`") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, stdin, O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdout, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, stderr, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        let env = (environment ?? ProcessInfo.processInfo.environment).map { "\($0.key)=\($0.value)" }
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        let envp = env.map { strdup($0) } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        // The test process ignores or blocks SIGTERM/SIGINT for its own graceful shutdown;
        // children must get the default handling back, or they could not be stopped.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t(), empty = sigset_t()
        sigemptyset(&empty)
        sigfillset(&defaults)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, path, &actions, &attributes, argv, envp)
        guard rc == 0 else { throw MissingService("could not start \(path): error \(rc)") }
        return pid
    }

    /// Waits for a child to end and returns its exit status (128+signal when killed).
    @discardableResult
    public static func wait(_ pid: pid_t) -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        let signal = status & 0x7F
        return signal == 0 ? (status >> 8) & 0xFF : 128 + signal
    }

    /// `wait`, giving up after `limit`: nil while the process still runs.
    public static func wait(_ pid: pid_t, upTo limit: Duration) -> Int32? {
        let deadline = ContinuousClock.now + limit
        var status: Int32 = 0
        while ContinuousClock.now < deadline {
            let reaped = waitpid(pid, &status, WNOHANG)
            if reaped == pid {
                let signal = status & 0x7F
                return signal == 0 ? (status >> 8) & 0xFF : 128 + signal
            }
            if reaped == -1 && errno != EINTR { return -1 }
            usleep(50_000)
        }
        return nil
    }

    /// Finds a program on PATH.
    public static func which(_ name: String) throws -> String {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        let directories: [String] = path.split(separator: ":").map(String.init) + ["/usr/sbin", "/usr/local/bin"]
        for dir in directories {
            let candidate = "\(dir)/\(name)"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        throw MissingService("\(name) is not on PATH (\(path)); run `make deps` (or `make test-tools`)")
    }

    /// A TCP port nothing listens on right now.
    public static func freePort() throws -> Int {
        // Below Linux's ephemeral range (32768–60999), so that a server another test binds to
        // port 0 cannot be handed the port we chose before our server binds it; and never the
        // same port twice in one test process.
        for _ in 0..<200 {
            let port = Int.random(in: 20_000..<32_000)
            guard handedOut.withLock({ $0.insert(port).inserted }) else { continue }
            if Self.canBind(port) { return port }
        }
        throw MissingService("no free TCP port on 127.0.0.1 between 20000 and 32000")
    }

    private static let handedOut = Mutex<Set<Int>>([])

    private static func canBind(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }

    /// True once something accepts TCP connections on 127.0.0.1:`port`.
    public static func isListening(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }

    /// Waits up to `timeout` for `condition`.
    public static func waitUntil(_ timeout: Duration = .seconds(20), _ what: String, _ condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw MissingService("\(what) did not happen within \(timeout)")
    }
}
