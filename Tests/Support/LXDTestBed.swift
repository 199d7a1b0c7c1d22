import Foundation

/// The two LXD daemons of `scripts/lxd-testbed.sh` (`make lxd-testbed`; `make test` starts
/// them): fresh trust tokens, the daemons' own view of their trust stores, and a way to make
/// one stop answering. A daemon that is not running is an error saying how to start it.
public enum LXDTestBed {
    public static let daemons = ["a", "b"]

    static var script: String { TestEnvironment.root.appendingPathComponent("scripts/lxd-testbed.sh").path }
    static func directory(_ daemon: String) -> String { TestEnvironment.root.appendingPathComponent(".data/lxd/\(daemon)").path }

    /// `lxc` against daemon `daemon` over its local socket (the operator's side of the server).
    @discardableResult
    public static func lxc(_ daemon: String, _ arguments: [String]) async throws -> Command.Result {
        var environment = ProcessInfo.processInfo.environment
        environment["LXD_DIR"] = self.directory(daemon)
        let result = try await Command.run(try Command.which("lxc"), arguments, environment: environment)
        guard result.status == 0 else {
            throw MissingService("LXD \(daemon): `lxc \(arguments.joined(separator: " "))` failed (\(result.error.trimmingCharacters(in: .whitespacesAndNewlines))); run `make lxd-testbed`")
        }
        return result
    }

    /// Stops daemon `daemon` cleanly and starts it again (what an upgrade or a host reboot does
    /// to the connections of its clients).
    public static func restart(_ daemon: String) async throws {
        let result = try await Command.run("/bin/bash", [self.script, "restart", daemon])
        guard result.status == 0 else { throw MissingService("LXD \(daemon) did not restart: \(result.error)") }
    }

    /// A fresh single-use trust token, as `lxc config trust add` prints it.
    public static func token(_ daemon: String) async throws -> String {
        let result = try await Command.run("/bin/bash", [self.script, "token", daemon])
        let token = result.output.trimmingCharacters(in: .whitespacesAndNewlines)
        guard result.status == 0, !token.isEmpty else {
            throw MissingService("LXD \(daemon) gave no trust token (\(result.error)); run `make lxd-testbed`")
        }
        return token
    }

    /// Fingerprints of the client certificates daemon `daemon` trusts.
    public static func trusted(_ daemon: String) async throws -> Set<String> {
        let output = try await self.lxc(daemon, ["query", "/1.0/certificates"]).output
        let paths = try JSONDecoder().decode([String].self, from: Data(output.utf8))
        return Set(paths.compactMap { $0.split(separator: "/").last.map(String.init) })
    }

    /// Names of the instances on daemon `daemon` (default project).
    public static func instances(_ daemon: String) async throws -> Set<String> {
        let output = try await self.lxc(daemon, ["list", "--format", "csv", "--columns", "n"]).output
        return Set(output.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty })
    }

    /// Removes instance `name` from daemon `daemon`, stopping it first; nothing when it is gone.
    /// For cleanup after a test, whatever state the test left it in.
    public static func removeInstance(_ daemon: String, _ name: String) async throws {
        guard try await self.instances(daemon).contains(name) else { return }
        try await self.lxc(daemon, ["delete", "--force", name])
    }

    /// Removes the client certificate `fingerprint` from daemon `daemon`'s trust store, if there.
    public static func untrust(_ daemon: String, _ fingerprint: String) async throws {
        guard try await self.trusted(daemon).contains(fingerprint) else { return }
        try await self.lxc(daemon, ["config", "trust", "remove", fingerprint])
    }

    /// The SHA-256 fingerprint of the daemon's server certificate.
    public static func serverFingerprint(_ daemon: String) async throws -> String {
        let output = try await self.lxc(daemon, ["query", "/1.0"]).output
        struct Info: Decodable { var environment: Environment; struct Environment: Decodable { var certificate_fingerprint: String } }
        return try JSONDecoder().decode(Info.self, from: Data(output.utf8)).environment.certificate_fingerprint
    }

    /// `127.0.0.1:<port>` the daemon serves HTTPS on.
    public static func address(_ daemon: String) async throws -> String {
        let output = try await self.lxc(daemon, ["config", "get", "core.https_address"]).output
        return output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Runs `body` with daemon `daemon` paused (SIGSTOP): connections are accepted by the
    /// kernel but nothing answers, like a hung server. It is resumed however `body` ends.
    public static func whilePaused<T>(_ daemon: String, _ body: () async throws -> T) async throws -> T {
        let pidFile = TestEnvironment.root.appendingPathComponent(".run/lxd-\(daemon).pid")
        guard let text = try? String(contentsOf: pidFile, encoding: .utf8), let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw MissingService("LXD \(daemon): no pid file at \(pidFile.path); run `make lxd-testbed`")
        }
        kill(pid, SIGSTOP)
        defer { kill(pid, SIGCONT) }
        return try await body()
    }
}
