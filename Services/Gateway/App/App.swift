import Hummingbird
import OrcastraRuntime

/// `orcastra-gateway`: reads configuration, then hands over to `buildApplication`.
@main
struct App {
    static func main() async throws {
        let application: any ApplicationProtocol
        do {
            application = try await buildApplication(reader: try await Environment.reader())
        } catch let error as ConfigError {
            Startup.fail(error)
        }
        try await application.runService()
    }
}
