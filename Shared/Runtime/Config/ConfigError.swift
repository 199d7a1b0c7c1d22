/// A configuration value that is missing or malformed.
///
/// Start-up stops on the first one with a single line that names the variable and what was
/// wrong with it; the value itself is never repeated, because it may be a secret.
public struct ConfigError: Error, CustomStringConvertible, Equatable {
    public let variable: String
    public let problem: String

    public init(_ variable: String, _ problem: String) {
        self.variable = variable
        self.problem = problem
    }

    public var description: String { "configuration error: \(self.variable) \(self.problem)" }
}
