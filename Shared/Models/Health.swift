/// What `GET /health` answers: the overall state and one entry per dependency.
///
/// Operators and load balancers read `status`; people read `checks` to see which
/// dependency is down and why.
public struct HealthReport: Codable, Sendable, Equatable {
    /// `ok` when every check passed, `degraded` when only optional parts failed, `error` otherwise.
    public var status: HealthStatus
    public var version: String
    public var checks: [String: HealthCheckResult]
    /// Configuration an operator should fix although everything works (a plain-http identity
    /// provider or Vault on a public address); absent when there is none, so `status` and the
    /// other fields mean what they always meant.
    public var warnings: [String]?

    public init(status: HealthStatus, version: String, checks: [String: HealthCheckResult], warnings: [String]? = nil) {
        self.status = status
        self.version = version
        self.checks = checks
        self.warnings = warnings
    }
}

/// The state of the whole service or of one dependency.
public enum HealthStatus: String, Codable, Sendable {
    case ok
    case degraded
    case error
}

/// One dependency's answer: its state, how long the probe took, and why it failed.
public struct HealthCheckResult: Codable, Sendable, Equatable {
    public var status: HealthStatus
    public var latencyMs: Double
    public var error: String?

    public init(status: HealthStatus, latencyMs: Double, error: String? = nil) {
        self.status = status
        self.latencyMs = latencyMs
        self.error = error
    }

    enum CodingKeys: String, CodingKey {
        case status
        case latencyMs = "latency_ms"
        case error
    }
}
