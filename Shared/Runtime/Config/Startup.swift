import Configuration
import Foundation
import Hummingbird
import NIOCore
import NIOPosix

/// How a service starts: configuration from the environment and `.env`, then the application
/// built from it, run until SIGTERM or SIGINT (graceful shutdown, exit 0).
///
/// A configuration error ends the process with one line on stderr naming the problem and exit
/// 78 (EX_CONFIG), so supervisors and `make run` see a configuration fault rather than a crash.
public enum Startup {
    public static func run<App: ApplicationProtocol>(_ build: @Sendable (ConfigReader) async throws -> App) async throws {
        let application: App
        do {
            application = try await build(try await Environment.reader())
        } catch let error as ConfigError {
            fail(error)
        }
        do {
            try await application.runService()
        } catch {
            LogSink.standardOutput.flush()
            throw error
        }
        LogSink.standardOutput.flush()
    }

    /// Makes NIO's event loops Swift's global executor, so a handler's tasks run on the loop
    /// that does their I/O: an awaited database or upstream answer resumes its task without a
    /// hop between thread pools, which cost more than the handlers' own work. Nothing may block inside a task from then on; blocking work keeps going
    /// to NIO's thread pool. Call it first in `main`, on the main thread, once.
    public static func runTasksOnEventLoops() {
        _ = NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
    }

    public static func fail(_ error: ConfigError) -> Never {
        LogSink.standardOutput.flush()
        FileHandle.standardError.write(Data((error.description + "\n").utf8))
        exit(78)
    }
}
