import AsyncHTTPClient
import Foundation

/// One of the built service binaries running as a real process, its stdout captured.
public final class ServiceProcess: @unchecked Sendable {
    public let name: String
    public let port: Int
    public let pid: pid_t
    public let stdout: URL
    public let stderr: URL
    public private(set) var exitStatus: Int32?

    /// Starts `.build/debug/<name>` with `environment` added to a clean base environment.
    public init(_ name: String, port: Int, arguments: [String] = [], environment: [String: String]) throws {
        let binary = TestEnvironment.binDirectory.appendingPathComponent(name).path
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw MissingService("\(binary) is not built; run `swift build` (make test does)")
        }
        self.name = name
        self.port = port
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("orc-\(name)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        self.stdout = scratch.appendingPathComponent("stdout")
        self.stderr = scratch.appendingPathComponent("stderr")
        var env = ["PATH": "/usr/bin:/bin", "HOME": "/tmp", "HTTP_PORT": String(port), "HTTP_HOST": "127.0.0.1", "ENV_FILE": "/nonexistent/.env"]
        env.merge(environment) { _, new in new }
        self.pid = try Command.spawn(binary, arguments, environment: env, stdout: self.stdout.path, stderr: self.stderr.path)
    }

    public var lines: [String] {
        ((try? String(contentsOf: self.stdout, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    public var errorOutput: String { (try? String(contentsOf: self.stderr, encoding: .utf8)) ?? "" }

    /// Waits until `GET /health` answers 200.
    public func waitHealthy() async throws {
        try await Command.waitUntil(.seconds(30), "\(self.name) healthy on :\(self.port) (stderr: \(self.errorOutput))") {
            var status = 0
            if kill(self.pid, 0) != 0 { throw MissingService("\(self.name) exited: \(self.errorOutput)") }
            if let response = try? await HTTPClient.shared.execute(HTTPClientRequest(url: "http://127.0.0.1:\(self.port)/health"), timeout: .seconds(2)) {
                status = Int(response.status.code)
                _ = try? await response.body.collect(upTo: 1 << 20)
            }
            return status == 200
        }
    }

    /// Sends SIGTERM and returns the exit status (a graceful shutdown exits 0). A process
    /// still running after `grace` (a shutdown waiting on a request that never ends) is
    /// killed, and answers 137, so a test reports it instead of hanging.
    @discardableResult
    public func terminate(grace: Duration = .seconds(30)) -> Int32 {
        if let exitStatus { return exitStatus }
        kill(self.pid, SIGTERM)
        var status = Command.wait(self.pid, upTo: grace)
        if status == nil {
            kill(self.pid, SIGKILL)
            status = Command.wait(self.pid)
        }
        let exited = status ?? 137
        self.exitStatus = exited
        return exited
    }

    /// Waits for a process that is expected to stop on its own.
    public func waitForExit() -> Int32 {
        let status = Command.wait(self.pid)
        self.exitStatus = status
        return status
    }

    deinit {
        if self.exitStatus == nil {
            kill(self.pid, SIGKILL)
            Command.wait(self.pid)
        }
    }
}
