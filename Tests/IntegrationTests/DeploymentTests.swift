import Foundation
import OrcastraTestSupport
import Testing

/// Docker has no engine here, so the compose file is checked against the Compose
/// Specification schema (shipped by check-jsonschema) instead of being run.
@Suite("Deployment files")
struct DeploymentTests {
    static let compose = TestEnvironment.root.appendingPathComponent("compose/dashboard/docker-compose.yml")

    static func validate(_ file: URL) async throws -> Command.Result {
        let tool = try ProcessInfo.processInfo.environment["CHECK_JSONSCHEMA"] ?? Command.which("check-jsonschema")
        return try await Command.run(tool, ["--builtin-schema", "vendor.compose-spec", file.path])
    }

    @Test("the dashboard compose file is valid under the Compose Specification")
    func composeValid() async throws {
        let result = try await Self.validate(Self.compose)
        #expect(result.status == 0, "\(result.output)\(result.error)")
    }

    @Test("the same check rejects a broken compose file, so the test above can fail")
    func composeBrokenRejected() async throws {
        let text = try String(contentsOf: Self.compose, encoding: .utf8)
            .replacingOccurrences(of: "    restart: unless-stopped", with: "    restarts: unless-stopped")
        let broken = FileManager.default.temporaryDirectory.appendingPathComponent("broken-\(UUID().uuidString).yml")
        try text.write(to: broken, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: broken) }
        let result = try await Self.validate(broken)
        #expect(result.status != 0)
    }

    @Test("every variable the compose file reads is documented in .env.example")
    func variablesDocumented() throws {
        let text = try String(contentsOf: Self.compose, encoding: .utf8)
        let example = try String(contentsOf: TestEnvironment.root.appendingPathComponent(".env.example"), encoding: .utf8)
        let documented = Set(example.split(separator: "\n").compactMap { line -> String? in
            line.hasPrefix("#") ? nil : line.split(separator: "=").first.map(String.init)
        })
        let used = Set(text.matches(of: /\$\{([A-Z_][A-Z0-9_]*)/).map { String($0.1) })
        #expect(!used.isEmpty)
        #expect(used.subtracting(documented).isEmpty, "undocumented: \(used.subtracting(documented).sorted())")
    }
}
