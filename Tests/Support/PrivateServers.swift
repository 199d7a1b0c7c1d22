import Foundation
import OrcastraRuntime

/// A Redis server of the test's own, for tests that stop and restart it.
public final class PrivateRedis: @unchecked Sendable {
    public let port: Int
    private var pid: pid_t?
    private let directory: URL
    private let configured: Bool

    /// `configured`: with the deployment's own settings (`compose/dashboard/redis.conf`:
    /// persistent, never evicting), as `make run` and the compose deployment run it;
    /// otherwise a throw-away server that forgets everything when stopped.
    public init(configured: Bool = false) throws {
        self.configured = configured
        self.port = try Command.freePort()
        self.directory = FileManager.default.temporaryDirectory.appendingPathComponent("orc-redis-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: self.directory, withIntermediateDirectories: true)
    }

    public var url: RedisURL { RedisURL(host: "127.0.0.1", port: self.port) }

    public func start() async throws {
        let settings = self.configured
            ? [TestEnvironment.root.appendingPathComponent("compose/dashboard/redis.conf").path]
            : ["--save", "", "--appendonly", "no"]
        self.pid = try Command.spawn(try Command.which("redis-server"), settings + [
            "--port", String(self.port), "--bind", "127.0.0.1", "--dir", self.directory.path,
        ])
        try await Command.waitUntil(.seconds(10), "redis-server listening on \(self.port)") { Command.isListening(self.port) }
    }

    public func stop() {
        guard let pid else { return }
        kill(pid, SIGTERM)
        // A paused server only acts on SIGTERM once it runs again.
        kill(pid, SIGCONT)
        Command.wait(pid)
        self.pid = nil
    }

    /// Freezes the server (SIGSTOP): the kernel still accepts connections and takes the
    /// commands written to them, but nothing answers, as with a hung or overloaded Redis.
    public func pause() {
        if let pid { kill(pid, SIGSTOP) }
    }

    /// Lets a paused server run again (SIGCONT).
    public func resume() {
        if let pid { kill(pid, SIGCONT) }
    }

    deinit {
        self.stop()
        try? FileManager.default.removeItem(at: self.directory)
    }
}

/// A PostgreSQL cluster of the test's own (initdb in a temporary folder, trust auth on
/// loopback), for tests that stop and restart the database under a running API.
public final class PrivatePostgres: @unchecked Sendable {
    public let port: Int
    private let directory: URL
    private let bin: URL

    public init() async throws {
        self.port = try Command.freePort()
        self.bin = try TestEnvironment.postgresBin()
        self.directory = URL(fileURLWithPath: "/tmp/orc-pg-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: self.directory, withIntermediateDirectories: true)
        if getuid() == 0 { try self.checked(await Command.run("/bin/chown", ["postgres:postgres", self.directory.path])) }
        try self.checked(await self.asPostgres("initdb", ["-D", self.directory.path, "-U", "postgres", "-A", "trust", "-E", "UTF8"]))
    }

    public var url: DatabaseURL { DatabaseURL(host: "127.0.0.1", port: self.port, user: "postgres", password: nil, database: "postgres") }

    public func start() async throws {
        try self.checked(await self.asPostgres("pg_ctl", [
            "-D", self.directory.path, "-w", "-t", "30", "-l", self.directory.path + "/server.log",
            "-o", "-p \(self.port) -k \(self.directory.path) -c listen_addresses=127.0.0.1", "start",
        ]))
    }

    public func stop() async throws {
        try self.checked(await self.asPostgres("pg_ctl", ["-D", self.directory.path, "-m", "fast", "-w", "stop"]))
    }

    /// Runs SQL in database `postgres` through psql over loopback and answers its unaligned
    /// output (for counting rows before and after a drill).
    @discardableResult
    public func sql(_ statement: String) async throws -> String {
        try TestDatabase.check(self.url, statement, try await Command.run(
            try Command.which("psql"), TestDatabase.arguments(self.url, statement), environment: TestDatabase.environment(self.url)))
    }

    deinit {
        let (path, arguments) = self.invocation("pg_ctl", ["-D", self.directory.path, "-m", "immediate", "-w", "stop"])
        let directory = self.directory
        Command.inBackground {
            _ = try? Command.runBlocking(path, arguments)
            try? FileManager.default.removeItem(at: directory)
        }
    }

    private func asPostgres(_ tool: String, _ arguments: [String]) async throws -> Command.Result {
        let (path, args) = self.invocation(tool, arguments)
        return try await Command.run(path, args)
    }

    /// PostgreSQL refuses to run as root: as root, tools run through `runuser -u postgres`.
    private func invocation(_ tool: String, _ arguments: [String]) -> (String, [String]) {
        let path = self.bin.appendingPathComponent(tool).path
        return getuid() == 0 ? ("/usr/sbin/runuser", ["-u", "postgres", "--", path] + arguments) : (path, arguments)
    }

    private func checked(_ result: Command.Result) throws {
        guard result.status == 0 else { throw MissingService("PostgreSQL test cluster: \(result.error)\(result.output)") }
    }
}
