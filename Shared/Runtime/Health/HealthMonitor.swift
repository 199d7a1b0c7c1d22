import Hummingbird
import OrcastraModels

/// One dependency probe: succeeds when the dependency answers, throws why it does not.
///
/// A critical dependency's failure makes the service unhealthy (503); a non-critical one only
/// degrades it (200, `degraded`), because the service still does most of its work.
public struct HealthCheck: Sendable {
    public var name: String
    public var critical: Bool
    public var probe: @Sendable () async throws -> Void

    public init(name: String, critical: Bool = true, probe: @escaping @Sendable () async throws -> Void) {
        self.name = name
        self.critical = critical
        self.probe = probe
    }

    /// Redis answers `PING`.
    public static func redis(_ client: RedisClient) -> HealthCheck {
        HealthCheck(name: "redis") { _ = try await client.command("PING") }
    }
}

/// Runs every probe concurrently, each within `timeout`, and sums them up.
///
/// Probes run on each call (no cached state), so the report turns back to ok as soon as a
/// dependency is back, without a restart.
public struct HealthMonitor: Sendable {
    let version: String
    let checks: [HealthCheck]
    let timeout: Duration
    /// Configuration warnings found at start-up (`InsecureTransport`), repeated in every report.
    let warnings: [String]

    public init(version: String, checks: [HealthCheck], timeout: Duration = .seconds(2), warnings: [String] = []) {
        self.version = version
        self.checks = checks
        self.timeout = timeout
        self.warnings = warnings
    }

    public func report() async -> HealthReport {
        let results = await withTaskGroup(of: (String, HealthCheckResult).self) { group in
            for check in self.checks {
                group.addTask { (check.name, await self.run(check)) }
            }
            var all: [String: HealthCheckResult] = [:]
            for await (name, result) in group { all[name] = result }
            return all
        }
        let statuses = results.values.map(\.status)
        let overall: HealthStatus = statuses.contains(.error) ? .error : statuses.contains(.degraded) ? .degraded : .ok
        return HealthReport(status: overall, version: self.version, checks: results, warnings: self.warnings.isEmpty ? nil : self.warnings)
    }

    private func run(_ check: HealthCheck) async -> HealthCheckResult {
        let start = ContinuousClock.now
        let error: String? = await withTaskGroup(of: String?.self) { group in
            group.addTask {
                do {
                    try await check.probe()
                    return nil
                } catch {
                    return String(describing: error)
                }
            }
            group.addTask {
                try? await Task.sleep(for: self.timeout)
                return "no answer within \(self.timeout)"
            }
            let first = await group.next()!
            group.cancelAll()
            return first
        }
        let failed: HealthStatus = check.critical ? .error : .degraded
        return HealthCheckResult(status: error == nil ? .ok : failed, latencyMs: (ContinuousClock.now - start).milliseconds(places: 2), error: error)
    }

    /// Mounts `GET` at each path: 200 with the report (also when only degraded), 503 when a
    /// critical check failed.
    public func addRoutes(to router: Router<AppRequestContext>, paths: [RouterPath]) {
        for path in paths {
            router.get(path) { _, _ -> EditedResponse<HealthReport> in
                let report = await self.report()
                return EditedResponse(status: report.status == .error ? .serviceUnavailable : .ok, response: report)
            }
        }
    }
}

extension HealthReport: ResponseEncodable {}
