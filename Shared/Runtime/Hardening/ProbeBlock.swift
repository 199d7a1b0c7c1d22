import HTTPTypes
import Hummingbird
import Logging
import OrcastraModels

/// `SECURITY_PROBE_BLOCK_ENABLED` (default true): how many probes of well-known secret and
/// admin paths an address may make before it is blocked, and for how long.
public struct ProbeBlockSettings: Sendable {
    public var probes: Int
    public var window: Duration
    public var block: Duration
    /// Redis key prefix; tests give each case its own.
    public var keyPrefix: String

    public init(probes: Int = 10, window: Duration = .seconds(600), block: Duration = .seconds(900), keyPrefix: String = "orcastra:probe:") {
        self.probes = probes
        self.window = window
        self.block = block
        self.keyPrefix = keyPrefix
    }

    /// nil when `SECURITY_PROBE_BLOCK_ENABLED=false`.
    public static func read(_ s: Settings) throws(ConfigError) -> ProbeBlockSettings? {
        try s.bool("SECURITY_PROBE_BLOCK_ENABLED", default: true) ? ProbeBlockSettings() : nil
    }
}

/// Answers scanners' probes (`/.env`, `/.git/`, `/wp-admin`, `/phpmyadmin`, …) with a plain
/// 404 before any handler or file lookup runs, writes a `log_type: "security"` line, and counts
/// them per client address in Redis: `probes` within `window` block the address for `block`
/// (403 `blocked` on every request). No Orcastra route has such a path, so a real user never
/// meets it; a scanner stops learning anything after a few tries.
///
/// The address is the one `ClientIPPolicy` resolves. If Redis is down probes still get 404 and
/// nothing is blocked: the limiter's outage must not become the service's. Whether an address
/// is blocked is remembered for a moment (`ProbeBlockMemo`), not asked of Redis per request.
public struct ProbeBlockMiddleware: RouterMiddleware {
    public typealias Context = AppRequestContext
    let settings: ProbeBlockSettings
    let redis: RedisClient
    let clientIP: ClientIPPolicy
    let service: String
    let version: String
    let sink: LogSink
    let memo = ProbeBlockMemo()

    public init(settings: ProbeBlockSettings, redis: RedisClient, config: ServiceConfig, sink: LogSink) {
        self.settings = settings
        self.redis = redis
        self.clientIP = config.clientIP
        self.service = config.serviceName
        self.version = config.version
        self.sink = sink
    }

    /// Path segments scanners look for: dotfiles with credentials, and admin tools of other products.
    static let probeSegments: Set<String> = [
        ".git", ".svn", ".hg", ".aws", ".ssh", ".docker", ".htaccess", ".htpasswd", ".ds_store",
        "wp-admin", "wp-login.php", "wp-includes", "wp-content", "xmlrpc.php", "phpmyadmin", "pma", "server-status", "server-info",
    ]

    /// Whether `path` is a probe: a segment named above, or any `.env` file (`/.env.local`, `/api/.env`).
    public static func isProbe(_ path: String) -> Bool {
        path.lowercased().split(separator: "/").contains { segment in
            Self.probeSegments.contains(String(segment)) || segment.hasPrefix(".env")
        }
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let ip = self.clientIP.resolve(request, context: context).ip ?? "unknown"
        let blockKey = self.settings.keyPrefix + "block:" + ip
        if Self.isProbe(request.uri.path) {
            let count = await self.count(ip)
            if let count, count >= self.settings.probes {
                _ = try? await self.redis.command("SET", blockKey, "1", "PX", String(self.settings.block.components.seconds * 1000))
                self.memo.blocked(ip, for: self.settings.block)
                self.log("blocked", request, context, ip: ip, probes: count)
            } else {
                self.log("probe", request, context, ip: ip, probes: count)
            }
            context.state.error = "not_found: probe path"
            return try APIError(.notFound, code: "not_found", message: "No route matches \(request.method) \(request.uri.path).")
                .response(from: request, context: context)
        }
        if case .blocked(let remaining) = await self.blocked(ip, key: blockKey) {
            let seconds = String(max(1, remaining.components.seconds + (remaining.components.attoseconds > 0 ? 1 : 0)))
            context.state.error = "blocked: probing"
            return try APIError(.forbidden, code: "blocked", message: "This address is blocked for a while after probing for files that do not exist here.",
                                headers: [.retryAfter: seconds]).response(from: request, context: context)
        }
        return try await next(request, context)
    }

    /// Whether a request to `path` from `ip` is known to pass without asking Redis: not a
    /// probe, and the address lately found clear. False means "ask" (`handle`), not "blocked".
    public func clearInMemory(path: String, ip: String?) -> Bool {
        !Self.isProbe(path) && self.memo.answer(ip ?? "unknown") == .clear
    }

    /// Whether `ip` is blocked: remembered, or asked of Redis (`PTTL` of its block key) and
    /// then remembered. Redis down → clear, and not remembered.
    func blocked(_ ip: String, key: String) async -> ProbeBlockMemo.Answer {
        if let known = self.memo.answer(ip) { return known }
        guard let ttl = try? await self.redis.command("PTTL", key).int else { return .clear }
        let remaining: Duration? = ttl > 0 ? .milliseconds(ttl) : nil
        self.memo.note(ip, remaining: remaining)
        return remaining.map { .blocked(remaining: $0) } ?? .clear
    }

    /// Bumps the address's probe counter (INCR and its expiry in one script); nil when Redis is down.
    func count(_ ip: String) async -> Int? {
        let script = "local n = redis.call('INCR', KEYS[1]); if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end; return n"
        let window = String(self.settings.window.components.seconds * 1000)
        return (try? await self.redis.command("EVAL", script, "1", self.settings.keyPrefix + "count:" + ip, window).int).map { Int($0) }
    }

    func log(_ event: String, _ request: Request, _ context: Context, ip: String, probes: Int?) {
        self.sink.write(json: SecurityLogEntry(
            timestamp: Timestamp.now(), service: self.service, version: self.version, event: event, requestID: context.state.requestID,
            clientIP: ip, method: request.method.rawValue, path: String(request.uri.path.prefix(512)), probes: probes))
    }
}
