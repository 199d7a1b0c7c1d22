import OrcastraRuntime

/// `orcastra-api`: everything happens in `buildApplication`; `Startup` runs it.
/// `orcastra-api rotate-secret-key` re-seals the embedded secrets instead (see the README);
/// `orcastra-api register-cluster NAME < token` registers a cluster from the command line.
@main
struct App {
    static func main() async throws {
        Startup.runTasksOnEventLoops()
        if CommandLine.arguments.dropFirst().first == RotateSecretKeyCommand.name {
            try await RotateSecretKeyCommand.run(reader: try await Environment.reader())
            LogSink.standardOutput.flush()
            return
        }
        if CommandLine.arguments.dropFirst().first == RegisterClusterCommand.name {
            try await RegisterClusterCommand.run(arguments: Array(CommandLine.arguments.dropFirst(2)), reader: try await Environment.reader())
            LogSink.standardOutput.flush()
            return
        }
        try await Startup.run { try await buildApplication(reader: $0) }
    }
}
