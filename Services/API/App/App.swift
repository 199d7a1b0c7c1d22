import OrcastraRuntime

/// `orcastra-api`: everything happens in `buildApplication`; `Startup` runs it.
/// `orcastra-api rotate-secret-key` re-seals the embedded secrets instead (see the README).
@main
struct App {
    static func main() async throws {
        if CommandLine.arguments.dropFirst().first == RotateSecretKeyCommand.name {
            try await RotateSecretKeyCommand.run(reader: try await Environment.reader())
            return
        }
        try await Startup.run { try await buildApplication(reader: $0) }
    }
}
