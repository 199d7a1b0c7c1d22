import NIOCore
@testable import OrcastraRuntime
import Testing

/// The RESP2 reader on its own, fed the way the network feeds it: in pieces cut anywhere.
@Suite("Redis RESP decoder")
struct RedisRESPDecoderTests {
    /// Feeds `chunks` one after another into one buffer, as NIO's decoder handler does, and
    /// returns every reply taken out.
    static func decode(_ chunks: [ArraySlice<UInt8>]) throws -> [RESPReply] {
        var decoder = RESPDecoder()
        var buffer = ByteBuffer()
        var replies: [RESPReply] = []
        for chunk in chunks {
            buffer.writeBytes(chunk)
            while let reply = try decoder.next(&buffer) { replies.append(reply) }
        }
        #expect(buffer.readableBytes == 0, "bytes left over after the last reply")
        return replies
    }

    static func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    /// Replies of every type, nested arrays and an error inside an array included.
    static let wire = bytes(
        "+OK\r\n" + "-ERR wrong type\r\n" + ":42\r\n" + ":-9223372036854775808\r\n" + "$-1\r\n" + "$0\r\n\r\n"
            + "$6\r\na\r\nb\u{0}c\r\n" + "*-1\r\n" + "*0\r\n"
            + "*3\r\n:1\r\n*2\r\n$1\r\nx\r\n$-1\r\n*1\r\n*0\r\n"
            + "*2\r\n:1\r\n-NOSCRIPT inner\r\n" + "+PONG\r\n")
    static let expected: [RESPReply] = [
        .value(.status("OK")), .error("ERR wrong type"), .value(.integer(42)), .value(.integer(.min)), .value(.null),
        .value(.bulk([])), .value(.bulk(bytes("a\r\nb\u{0}c"))), .value(.null), .value(.array([])),
        .value(.array([.integer(1), .array([.bulk(bytes("x")), .null]), .array([.array([])])])),
        .error("NOSCRIPT inner"), .value(.status("PONG")),
    ]

    @Test("every reply type, split at every byte boundary, decodes the same")
    func everySplit() throws {
        let wire = Self.wire[...]
        for cut in 0...wire.count {
            #expect(try Self.decode([wire[..<cut], wire[cut...]]) == Self.expected, "split at byte \(cut)")
        }
        // And one byte at a time: every reply is incomplete on every read but its last.
        #expect(try Self.decode(wire.indices.map { wire[$0...$0] }) == Self.expected)
    }

    @Test("a 1 MiB bulk reply arriving in pieces, then the next reply")
    func largeBulk() throws {
        let payload = (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let wire = Self.bytes("$\(payload.count)\r\n") + payload + Self.bytes("\r\n:7\r\n")
        let expected: [RESPReply] = [.value(.bulk(payload)), .value(.integer(7))]
        // Chunks the size of a socket read, and odd sizes that cut headers and CRLFs.
        for size in [65_536, 4_093, 1_000] {
            let chunks = stride(from: 0, to: wire.count, by: size).map { wire[$0..<min($0 + size, wire.count)] }
            #expect(try Self.decode(chunks) == expected, "chunks of \(size) bytes")
        }
        for cut in Array(0...16) + Array((wire.count - 16)...wire.count) {
            #expect(try Self.decode([wire[..<cut], wire[cut...]]) == expected, "split at byte \(cut)")
        }
    }

    @Test("bytes that are not RESP2 are a protocol error", arguments: ["?what\r\n", ":12a\r\n", "$-2\r\n", "*-5\r\n", "$3\r\nabcXY", ":\r\n", "+OK\rX"])
    func protocolErrors(wire: String) {
        #expect(throws: RESPProtocolError.self) { try Self.decode([Self.bytes(wire)[...]]) }
    }

    @Test("commands are encoded as arrays of bulk strings, binary-safe")
    func encoding() {
        let buffer = RESPEncoder.encode([Self.bytes("SET"), Self.bytes("k"), [0, 13, 10, 255]])
        #expect(Array(buffer.readableBytesView) == Self.bytes("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$4\r\n") + [0, 13, 10, 255] + Self.bytes("\r\n"))
        #expect(Array(RESPEncoder.encode([]).readableBytesView) == Self.bytes("*0\r\n"))
    }
}
