import Hummingbird

/// How a Redis failure is answered: Redis down, restarting or unreachable is a 503 that says
/// so (with `Retry-After`), not a 500 that hides it; the client reconnects on its own, so
/// the next request after Redis is back succeeds. An error reply from Redis is our bug or
/// Redis' state (a wrong type, out of memory): a 500, logged — except the replies of a Redis
/// that is there but cannot serve yet (LOADING its data after a restart, BUSY with a script,
/// MASTERDOWN, TRYAGAIN), which are the same 503 (seen in the fault drill's Redis restart).
extension RedisError: APIErrorConvertible {
    public var apiError: APIError {
        switch self {
        case .server(let message) where !Self.unavailable(message):
            APIError.internalError
        case .connection, .closed, .server:
            APIError(.serviceUnavailable, code: "redis_unavailable",
                     message: "Redis, where Orcastra keeps sessions and rate limits, is not answering; try again in a few seconds.",
                     headers: [.retryAfter: "5"])
        }
    }

    /// Error replies that mean "not now" rather than "wrong" (Redis' error prefixes).
    static func unavailable(_ message: String) -> Bool {
        ["LOADING", "BUSY", "MASTERDOWN", "TRYAGAIN"].contains { message.hasPrefix($0) }
    }
}
