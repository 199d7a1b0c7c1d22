/// One reply as read off the wire: a value, or the error reply Redis gave that command.
///
/// Kept apart from `RedisValue` because an error reply is an answer (the connection stays
/// good and the next reply belongs to the next command), yet callers see it as a thrown
/// `RedisError.server`, the way they match `NOSCRIPT`.
enum RESPReply: Sendable, Equatable {
    case value(RedisValue)
    case error(String)

    /// The value, or the error reply thrown as `RedisError.server`.
    func get() throws(RedisError) -> RedisValue {
        switch self {
        case .value(let value): return value
        case .error(let message): throw .server(message)
        }
    }
}
