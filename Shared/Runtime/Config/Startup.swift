import Foundation

/// What a service does when it cannot start: one line on stderr naming the problem, exit 78
/// (EX_CONFIG), so supervisors and `make run` see a configuration fault rather than a crash.
public enum Startup {
    public static func fail(_ error: ConfigError) -> Never {
        FileHandle.standardError.write(Data((error.description + "\n").utf8))
        exit(78)
    }
}
