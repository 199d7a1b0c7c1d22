import NIOCore

/// Writes a command as Redis expects it (RESP2: an array of bulk strings), straight into the
/// buffer the connection sends, so that arguments are copied once and never turned into text.
enum RESPEncoder {
    /// `*<count>\r\n` then `$<length>\r\n<bytes>\r\n` for each argument: binary-safe, since every
    /// argument carries its length.
    static func encode(_ arguments: [[UInt8]], into buffer: inout ByteBuffer) {
        buffer.reserveCapacity(minimumWritableBytes: self.size(of: arguments))
        self.writeHeader(UInt8(ascii: "*"), arguments.count, into: &buffer)
        for argument in arguments {
            self.writeHeader(UInt8(ascii: "$"), argument.count, into: &buffer)
            buffer.writeBytes(argument)
            buffer.writeBytes(Self.crlf)
        }
    }

    /// A buffer holding `arguments` encoded, sized to fit.
    static func encode(_ arguments: [[UInt8]], allocator: ByteBufferAllocator = ByteBufferAllocator()) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: self.size(of: arguments))
        self.encode(arguments, into: &buffer)
        return buffer
    }

    /// An upper bound of the encoded size: each header is at most a marker, 20 digits and CRLF.
    static func size(of arguments: [[UInt8]]) -> Int {
        arguments.reduce(23) { $0 + 23 + $1.count + 2 }
    }

    private static let crlf: [UInt8] = [13, 10]

    private static func writeHeader(_ marker: UInt8, _ count: Int, into buffer: inout ByteBuffer) {
        buffer.writeInteger(marker)
        // A count's decimal text fits a small string: no allocation.
        buffer.writeString(String(count))
        buffer.writeBytes(Self.crlf)
    }
}
