import CHiredis
#if canImport(Glibc)
import Glibc
#endif

/// One blocking hiredis connection.
///
/// Not thread-safe: the pool hands it to one caller at a time and every call runs on the
/// blocking thread pool, never on an event loop. A connection that saw an I/O error is
/// `broken` and is thrown away by the pool rather than reused.
final class RedisConnection: @unchecked Sendable {
    private let context: UnsafeMutablePointer<redisContext>
    private(set) var broken = false

    /// Connects, authenticates and selects the database, all within `timeout`.
    init(url: RedisURL, timeout: Duration) throws(RedisError) {
        let tv = Self.timeval(timeout)
        guard let ctx = redisConnectWithTimeout(url.host, Int32(url.port), tv) else {
            throw RedisError.connection("could not allocate a connection")
        }
        guard ctx.pointee.err == 0 else {
            let message = Self.errorText(ctx)
            redisFree(ctx)
            throw RedisError.connection("\(url.host):\(url.port): \(message)")
        }
        _ = redisSetTimeout(ctx, tv)
        self.context = ctx
        if let password = url.password {
            _ = try self.send(["AUTH", password].map { Array($0.utf8) })
        }
        if url.database != 0 {
            _ = try self.send(["SELECT", String(url.database)].map { Array($0.utf8) })
        }
    }

    deinit { redisFree(self.context) }

    /// Sends one command (binary-safe arguments) and waits for its reply.
    func send(_ arguments: [[UInt8]]) throws(RedisError) -> RedisValue {
        let reply: UnsafeMutableRawPointer? = Self.withCStrings(arguments) { argv, lengths in
            redisCommandArgv(self.context, Int32(arguments.count), argv, lengths)
        }
        guard let reply else {
            self.broken = true
            throw RedisError.connection(Self.errorText(self.context))
        }
        defer { freeReplyObject(reply) }
        return try Self.decode(reply.assumingMemoryBound(to: redisReply.self))
    }

    private static func decode(_ reply: UnsafeMutablePointer<redisReply>) throws(RedisError) -> RedisValue {
        let r = reply.pointee
        switch r.type {
        case REDIS_REPLY_STRING:
            return .bulk(Array(UnsafeRawBufferPointer(start: r.str, count: r.len)))
        case REDIS_REPLY_STATUS:
            return .status(String(cString: r.str))
        case REDIS_REPLY_INTEGER:
            return .integer(r.integer)
        case REDIS_REPLY_NIL:
            return .null
        case REDIS_REPLY_ERROR:
            throw RedisError.server(String(cString: r.str))
        case REDIS_REPLY_ARRAY:
            var items: [RedisValue] = []
            items.reserveCapacity(r.elements)
            for i in 0..<r.elements {
                guard let element = r.element[i] else { items.append(.null); continue }
                items.append(try decode(element))
            }
            return .array(items)
        default:
            throw RedisError.server("unexpected reply type \(r.type)")
        }
    }

    private static func withCStrings<R>(
        _ arguments: [[UInt8]],
        _ body: (UnsafeMutablePointer<UnsafePointer<CChar>?>, UnsafePointer<Int>) -> R
    ) -> R {
        let buffers = arguments.map { bytes -> UnsafeMutableBufferPointer<CChar> in
            let buffer = UnsafeMutableBufferPointer<CChar>.allocate(capacity: max(bytes.count, 1))
            for (i, b) in bytes.enumerated() { buffer[i] = CChar(bitPattern: b) }
            return buffer
        }
        defer { buffers.forEach { $0.deallocate() } }
        var pointers: [UnsafePointer<CChar>?] = buffers.map { UnsafePointer($0.baseAddress) }
        let lengths = arguments.map(\.count)
        return pointers.withUnsafeMutableBufferPointer { argv in
            lengths.withUnsafeBufferPointer { body(argv.baseAddress!, $0.baseAddress!) }
        }
    }

    private static func errorText(_ ctx: UnsafeMutablePointer<redisContext>) -> String {
        withUnsafeBytes(of: ctx.pointee.errstr) { raw in
            let text = String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            return text.isEmpty ? "connection lost" : text
        }
    }

    private static func timeval(_ d: Duration) -> Glibc.timeval {
        let (seconds, attoseconds) = d.components
        return Glibc.timeval(tv_sec: Int(seconds), tv_usec: Int(attoseconds / 1_000_000_000_000))
    }
}
