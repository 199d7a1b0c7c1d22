import Foundation
import HTTPTypes
import Hummingbird
import Logging
import OrcastraRuntime

/// The API's rate limits: `RATE_LIMIT_REQUESTS` per client address and `RATE_LIMIT_SUBNET_REQUESTS`
/// per subnet (/24 for IPv4, /64 for IPv6) in each `RATE_LIMIT_WINDOW_SECONDS`.
struct RateLimitSettings: Sendable {
    var requests: Int
    var subnetRequests: Int
    var window: Duration
    /// Redis key prefix; tests give each case its own.
    var keyPrefix = "orcastra:ratelimit:"

    init(requests: Int = 100, subnetRequests: Int = 300, window: Duration = .seconds(60), keyPrefix: String = "orcastra:ratelimit:") {
        self.requests = requests
        self.subnetRequests = subnetRequests
        self.window = window
        self.keyPrefix = keyPrefix
    }

    /// nil when `RATE_LIMIT_ENABLED=false`.
    static func read(_ s: Settings) throws(ConfigError) -> RateLimitSettings? {
        guard try s.bool("RATE_LIMIT_ENABLED", default: true) else { return nil }
        return RateLimitSettings(
            requests: try s.int("RATE_LIMIT_REQUESTS", default: 100, range: 1...1_000_000),
            subnetRequests: try s.int("RATE_LIMIT_SUBNET_REQUESTS", default: 300, range: 1...10_000_000),
            window: .seconds(try s.int("RATE_LIMIT_WINDOW_SECONDS", default: 60, range: 1...86_400)))
    }
}

/// Counts requests per client address and per subnet in Redis and answers 429 with
/// `Retry-After` once either count passes its limit (Services/README.md, security rule 19).
///
/// Both counters are bumped by one Lua script, so INCR and the expiry are atomic and every key
/// has a TTL (a crash between the two can never leave a counter that never expires). The
/// address is the one `ClientIPPolicy` resolves (forwarding headers only from trusted proxies),
/// or, on the gateway's own calls with a valid `AUTH_PROXY_SECRET`, the browser's address it
/// vouches for in `X-Orcastra-Client-IP`.
/// If Redis cannot be reached the request goes through: an outage of the limiter must not
/// become an outage of the API (health reports Redis down).
struct RateLimitMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let settings: RateLimitSettings
    let redis: RedisClient
    let clientIP: ClientIPPolicy
    /// `AUTH_PROXY_SECRET`: the gateway's own calls carry it with the browser's address, and
    /// are counted against that browser rather than against the gateway's address.
    let proxySecret: String?
    let logger: Logger

    static let script = """
        local result = {}
        for i, key in ipairs(KEYS) do
          local count = redis.call('INCR', key)
          if count == 1 then redis.call('PEXPIRE', key, ARGV[1]) end
          local ttl = redis.call('PTTL', key)
          if ttl < 0 then redis.call('PEXPIRE', key, ARGV[1]); ttl = tonumber(ARGV[1]) end
          result[#result + 1] = count
          result[#result + 1] = ttl
        end
        return result
        """

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let vouched = ProxySecret.vouchedClient(of: request, secret: self.proxySecret)
        guard let ip = vouched ?? self.clientIP.resolve(request, context: context).ip.flatMap({ IPAddress($0) }) else {
            return try await next(request, context)
        }
        let keys = [self.settings.keyPrefix + "ip:" + ip.description, self.settings.keyPrefix + "net:" + Self.subnet(of: ip)]
        let windowMs = String(Int(self.settings.window.components.seconds * 1000))
        let counts: [Int64]
        do {
            guard case .array(let values) = try await self.redis.command(strings: ["EVAL", Self.script, "2"] + keys + [windowMs]) else {
                return try await next(request, context)
            }
            counts = values.compactMap(\.int)
        } catch {
            self.logger.warning("rate limiter unavailable; letting the request through", metadata: ["error": "\(error)"])
            return try await next(request, context)
        }
        guard counts.count == 4 else { return try await next(request, context) }
        let overIP = counts[0] > Int64(self.settings.requests), overNet = counts[2] > Int64(self.settings.subnetRequests)
        guard overIP || overNet else { return try await next(request, context) }
        let ttl = overIP ? counts[1] : counts[3]
        let retryAfter = max(1, Int((ttl + 999) / 1000))
        throw APIError(.tooManyRequests, code: "rate_limited",
                       message: "Too many requests from \(overIP ? "your address" : "your network"); try again in \(retryAfter) s.",
                       headers: [.retryAfter: String(retryAfter)])
    }

    /// The /24 (IPv4) or /64 (IPv6) a client belongs to, written as a CIDR.
    static func subnet(of ip: IPAddress) -> String {
        let keep = ip.isIPv4 ? 3 : 8
        let network = Array(ip.bytes.prefix(keep)) + Array(repeating: 0, count: ip.bytes.count - keep)
        return (IPAddress(bytes: network)?.description ?? ip.description) + (ip.isIPv4 ? "/24" : "/64")
    }
}
