import OrcastraRuntime

/// `orcastra-gateway`: everything happens in `buildApplication`; `Startup` runs it.
@main
struct App {
    static func main() async throws {
        Startup.runTasksOnEventLoops()
        try await Startup.run { try await buildApplication(reader: $0) }
    }
}
