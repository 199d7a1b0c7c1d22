import AsyncHTTPClient
import Foundation
import OrcastraTestSupport

/// One of the built service binaries running as a real process, its stdout captured.
final class ServiceProcess: @unchecked Sendable {
    let name: String
    let port: Int
    let pid: pid_t
    let stdout: URL
    let stderr: URL
    private(set) var exitStatus: Int32?

    /// Starts `.build/debug/<name>` with `environment` added to a clean base environment.
    init(_ name: String, port: Int, arguments: [String] = [], environment: [String: String]) throws {
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

    var lines: [String] {
        ((try? String(contentsOf: self.stdout, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    var errorOutput: String { (try? String(contentsOf: self.stderr, encoding: .utf8)) ?? "" }

    /// Waits until `GET /health` answers 200.
    func waitHealthy() async throws {
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

    /// Sends SIGTERM and returns the exit status (a graceful shutdown exits 0).
    func terminate() -> Int32 {
        if let exitStatus { return exitStatus }
        kill(self.pid, SIGTERM)
        let status = Command.wait(self.pid)
        self.exitStatus = status
        return status
    }

    /// Waits for a process that is expected to stop on its own.
    func waitForExit() -> Int32 {
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
