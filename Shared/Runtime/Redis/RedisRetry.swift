/// When a command that got no reply is sent again, once, on a connection opened after the one
/// that failed (so that a Redis restart, which breaks every open connection, costs no failed
/// call).
///
/// - A command that never reached the socket (the connection was already closed: Redis
///   restarted while it sat idle) is always sent again: Redis cannot have run it.
/// - One that was sent before the connection broke may have run. It is sent again only when a
///   second run changes nothing a caller relies on: the reads (`GET`, `MGET`, `EXISTS`, `TTL`,
///   `PTTL`, `PING`, `KEYS`), a plain `SET` (no `NX`, `XX` or `GET`: the same value is set
///   again), and `DEL`, whose count may come back lower on a second run but which no caller
///   reads. Scripts (`EVAL`, `EVALSHA`) and `INCR` are not: the rate limiter's and the probe
///   counter's scripts count, and a second run would count twice.
/// - A command that timed out is not: Redis may still be running it, and the timeout is the
///   caller's bound on waiting.
enum RedisRetry {
    static func allows(_ failure: RedisSendFailure, for arguments: [[UInt8]]) -> Bool {
        switch failure {
        case .notSent: true
        case .lost: self.isIdempotent(arguments)
        case .timedOut, .closed: false
        }
    }

    static let idempotent: Set<String> = ["GET", "MGET", "EXISTS", "TTL", "PTTL", "PING", "KEYS", "DEL"]

    static func isIdempotent(_ arguments: [[UInt8]]) -> Bool {
        guard let name = arguments.first.map(Self.upper) else { return false }
        if self.idempotent.contains(name) { return true }
        guard name == "SET" else { return false }
        let options = arguments.dropFirst(3).map(Self.upper)
        return !options.contains { $0 == "NX" || $0 == "XX" || $0 == "GET" }
    }

    private static func upper(_ bytes: [UInt8]) -> String {
        String(decoding: bytes.prefix(16).map { (97...122).contains($0) ? $0 - 32 : $0 }, as: UTF8.self)
    }
}
