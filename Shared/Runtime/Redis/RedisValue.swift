/// A reply from Redis, decoded from its RESP2 bytes (`RESPDecoder`) into plain Swift values.
public enum RedisValue: Sendable, Equatable {
    case bulk([UInt8])
    case status(String)
    case integer(Int64)
    case array([RedisValue])
    case null

    /// The reply as text, for bulk and status replies.
    public var string: String? {
        switch self {
        case .bulk(let bytes): String(decoding: bytes, as: UTF8.self)
        case .status(let s): s
        case .integer(let i): String(i)
        default: nil
        }
    }

    public var int: Int64? {
        if case .integer(let i) = self { return i }
        return self.string.flatMap { Int64($0) }
    }
}

/// Why a Redis call failed.
public enum RedisError: Error, Equatable, CustomStringConvertible {
    /// The connection could not be made or broke (Redis down, restarted, network).
    case connection(String)
    /// Redis answered with an error reply (wrong type, script error, NOAUTH, …).
    case server(String)
    /// The client is shutting down.
    case closed

    public var description: String {
        switch self {
        case .connection(let m): "redis connection failed: \(m)"
        case .server(let m): "redis error: \(m)"
        case .closed: "redis client is closed"
        }
    }
}
