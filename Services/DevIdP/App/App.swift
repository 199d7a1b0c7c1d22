import OrcastraRuntime

/// `orcastra-devidp`: an Authentik look-alike OpenID provider for local runs and tests.
/// Everything happens in `buildApplication`; `Startup` runs it.
@main
struct App {
    static func main() async throws {
        try await Startup.run { try await buildApplication(reader: $0) }
    }
}
