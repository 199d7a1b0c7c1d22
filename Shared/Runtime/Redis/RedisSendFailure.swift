/// Why a command got no reply on its connection, which decides whether it may be sent again
/// (`RedisRetry`).
enum RedisSendFailure: Error, Equatable {
    /// It never reached the socket (the connection was already closed, or closed before the
    /// write was flushed), so Redis cannot have run it.
    case notSent(RedisError)
    /// It was sent, then the connection broke before its reply came: Redis may have run it.
    case lost(RedisError)
    /// No reply within the client's timeout; its connection was dropped.
    case timedOut(RedisError)
    /// The client shut down.
    case closed

    /// What the caller is told.
    var error: RedisError {
        switch self {
        case .notSent(let error), .lost(let error), .timedOut(let error): error
        case .closed: .closed
        }
    }
}
