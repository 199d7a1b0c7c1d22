import Configuration
import Foundation
import SystemPackage

/// Where configuration comes from when a service starts: the process environment first, then
/// the `.env` file (path from `ENV_FILE`, default `./.env`) that `make run` writes.
///
/// Variables set in the environment win, so one `.env` can be shared while a test or an
/// operator overrides single values.
public enum Environment {
    public static func reader() async throws -> ConfigReader {
        let path = ProcessInfo.processInfo.environment["ENV_FILE"] ?? ".env"
        let file = try await EnvironmentVariablesProvider(environmentFilePath: FilePath(path), allowMissing: true)
        return ConfigReader(providers: [EnvironmentVariablesProvider(), file])
    }
}
