import NIOCore

/// Turns the bytes Redis sends into replies (RESP2: `+` status, `-` error, `:` integer,
/// `$` bulk string, `*` array), however the reads split them.
///
/// A reply is taken off the buffer only once it is whole, except arrays: their elements are
/// taken one by one into `open`, so a large array arriving over many reads is read once,
/// not again from its start on every read. An error inside an array makes the whole reply
/// that error, as callers only ever see the first problem of a script's result.
struct RESPDecoder: ByteToMessageDecoder {
    typealias InboundOut = RESPReply

    /// Redis' own default `proto-max-bulk-len`: a longer length is a broken stream, not data.
    static let maxBulkLength = 512 * 1024 * 1024
    /// A status or error line longer than this without its CRLF is a broken stream.
    static let maxLineLength = 64 * 1024

    /// Arrays still being filled, innermost last.
    private var open: [Frame] = []

    private struct Frame {
        var remaining: Int
        var items: [RedisValue]
        var error: String?
    }

    /// What one step read: a whole reply, or the start of an array whose elements follow.
    private enum Element {
        case reply(RESPReply)
        case array(count: Int)
    }

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let reply = try self.next(&buffer) else { return .needMoreData }
        context.fireChannelRead(Self.wrapInboundOut(reply))
        return .continue
    }

    /// Replies already whole when the connection ends are still delivered; a partial one is
    /// dropped with the connection.
    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        try self.decode(context: context, buffer: &buffer)
    }

    /// The next whole reply in `buffer`, consuming it, or nil when more bytes are needed.
    mutating func next(_ buffer: inout ByteBuffer) throws(RESPProtocolError) -> RESPReply? {
        while let element = try Self.element(&buffer) {
            var completed: RESPReply?
            switch element {
            case .array(let count):
                self.open.append(Frame(remaining: count, items: [], error: nil))
                self.open[self.open.count - 1].items.reserveCapacity(min(count, 1024))
            case .reply(let reply):
                completed = reply
            }
            // A finished element fills its array; a filled array is itself a finished element.
            while let reply = completed, var frame = self.open.popLast() {
                switch reply {
                case .value(let value): frame.items.append(value)
                case .error(let message): frame.error = frame.error ?? message
                }
                frame.remaining -= 1
                if frame.remaining > 0 {
                    self.open.append(frame)
                    completed = nil
                } else {
                    completed = frame.error.map { .error($0) } ?? .value(.array(frame.items))
                }
            }
            if let completed { return completed }
        }
        return nil
    }

    /// One element, consumed only when whole (an array: only its header).
    private static func element(_ buffer: inout ByteBuffer) throws(RESPProtocolError) -> Element? {
        let start = buffer.readerIndex
        guard let marker = buffer.readInteger(as: UInt8.self), let line = try self.line(&buffer) else {
            buffer.moveReaderIndex(to: start)
            return nil
        }
        switch marker {
        case UInt8(ascii: "+"):
            return .reply(.value(.status(String(decoding: line.readableBytesView, as: UTF8.self))))
        case UInt8(ascii: "-"):
            return .reply(.error(String(decoding: line.readableBytesView, as: UTF8.self)))
        case UInt8(ascii: ":"):
            return .reply(.value(.integer(try self.integer(line))))
        case UInt8(ascii: "$"):
            let length = try self.integer(line)
            if length == -1 { return .reply(.value(.null)) }
            guard (0...Int64(Self.maxBulkLength)).contains(length) else { throw RESPProtocolError("bulk length \(length)") }
            guard buffer.readableBytes >= Int(length) + 2, let bytes = buffer.readBytes(length: Int(length)) else {
                buffer.moveReaderIndex(to: start)
                return nil
            }
            guard buffer.readInteger(as: UInt16.self) == 0x0D0A else { throw RESPProtocolError("bulk string not followed by CRLF") }
            return .reply(.value(.bulk(bytes)))
        case UInt8(ascii: "*"):
            let count = try self.integer(line)
            if count == -1 { return .reply(.value(.null)) }
            if count == 0 { return .reply(.value(.array([]))) }
            guard (1...Int64(Int32.max)).contains(count) else { throw RESPProtocolError("array length \(count)") }
            return .array(count: Int(count))
        default:
            throw RESPProtocolError("unexpected reply type byte \(marker)")
        }
    }

    /// The bytes before the next CRLF, consuming both; nil when the CRLF has not arrived.
    private static func line(_ buffer: inout ByteBuffer) throws(RESPProtocolError) -> ByteBuffer? {
        let cr = buffer.withUnsafeReadableBytes { $0.firstIndex(of: 13) }
        guard let cr, buffer.readableBytes > cr + 1 else {
            if buffer.readableBytes > Self.maxLineLength { throw RESPProtocolError("line longer than \(Self.maxLineLength) bytes") }
            return nil
        }
        guard let line = buffer.readSlice(length: cr), buffer.readInteger(as: UInt16.self) == 0x0D0A else {
            throw RESPProtocolError("CR not followed by LF")
        }
        return line
    }

    /// A decimal integer line, as in `:42`, `$5` or `*-1`.
    private static func integer(_ line: ByteBuffer) throws(RESPProtocolError) -> Int64 {
        let parsed: Int64? = line.withUnsafeReadableBytes { bytes in
            var digits = bytes[...]
            let negative = digits.first == UInt8(ascii: "-")
            if negative { digits = digits.dropFirst() }
            guard !digits.isEmpty, digits.count <= 19 else { return nil }
            // The magnitude in 64 unsigned bits (19 digits always fit), so Int64.min reads too.
            var magnitude: UInt64 = 0
            for byte in digits {
                guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
                magnitude = magnitude * 10 + UInt64(byte - UInt8(ascii: "0"))
            }
            if negative {
                guard magnitude <= UInt64(Int64.max) + 1 else { return nil }
                return Int64(bitPattern: 0 &- magnitude)
            }
            guard magnitude <= UInt64(Int64.max) else { return nil }
            return Int64(magnitude)
        }
        guard let parsed else { throw RESPProtocolError("bad integer '\(String(decoding: line.readableBytesView, as: UTF8.self))'") }
        return parsed
    }
}

/// Bytes from Redis that are not RESP2: the stream cannot be trusted past them, so the
/// connection is dropped.
struct RESPProtocolError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = "RESP protocol error: " + description }
}
