import Crypto
import Foundation
import OrcastraRuntime

/// An SSH public key as users paste it (`ssh-ed25519 AAAA… comment`), parsed and checked.
///
/// Only key types worth injecting into instances are accepted: Ed25519, ECDSA on the NIST
/// curves, and RSA of at least 2048 bits. The fingerprint is the one `ssh-keygen -l` prints
/// (`SHA256:` and the unpadded base64 of the SHA-256 of the key blob).
struct SSHPublicKey: Sendable, Equatable {
    var type: String
    var bits: Int
    var blob: [UInt8]
    var comment: String?

    static let accepted = ["ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521", "ssh-rsa"]
    /// The comment is the user's free text, stored and shown with the key: a name, not a document.
    static let maxCommentBytes = 1024
    /// The largest RSA key (16384 bits) is under 3 KiB of base64; anything much longer is not a key.
    static let maxLineBytes = 8 * 1024

    init(parsing line: String) throws(SSHKeyError) {
        guard line.utf8.count <= Self.maxLineBytes + Self.maxCommentBytes else {
            throw .malformed("the key line is longer than \(Self.maxLineBytes + Self.maxCommentBytes) bytes")
        }
        let fields = line.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: " ", maxSplits: 2, omittingEmptySubsequences: true)
        guard fields.count >= 2 else { throw .malformed("expected '<type> <base64 key> [comment]'") }
        let type = String(fields[0])
        guard Self.accepted.contains(type) else {
            throw .unsupported("key type '\(type.prefix(40))' is not accepted; use one of \(Self.accepted.joined(separator: ", "))")
        }
        guard let data = Data(base64Encoded: String(fields[1])) else { throw .malformed("the key is not valid base64") }
        self.blob = Array(data)
        self.comment = fields.count == 3 ? String(fields[2]) : nil
        if let comment = self.comment, comment.utf8.count > Self.maxCommentBytes {
            throw .malformed("the comment must be at most \(Self.maxCommentBytes) bytes; it has \(comment.utf8.count)")
        }
        self.type = type

        var reader = Reader(bytes: self.blob)
        guard let inner = reader.string(), String(decoding: inner, as: UTF8.self) == type else {
            throw .malformed("the key data does not match its type '\(type)'")
        }
        switch type {
        case "ssh-ed25519":
            guard let key = reader.string(), key.count == 32 else { throw .malformed("an Ed25519 key must be 32 bytes") }
            self.bits = 256
        case "ssh-rsa":
            guard let exponent = reader.string(), !exponent.isEmpty, let modulus = reader.string() else {
                throw .malformed("the RSA key data is incomplete")
            }
            let bits = Self.bitLength(modulus)
            guard bits >= 2048 else { throw .unsupported("RSA keys must have at least 2048 bits; this one has \(bits)") }
            self.bits = bits
        default:
            let curve = String(type.dropFirst("ecdsa-sha2-".count))
            let expected = ["nistp256": (256, 65), "nistp384": (384, 97), "nistp521": (521, 133)][curve]!
            guard let name = reader.string(), String(decoding: name, as: UTF8.self) == curve,
                  let point = reader.string(), point.count == expected.1, point.first == 0x04 else {
                throw .malformed("the ECDSA key data is not a valid \(curve) point")
            }
            self.bits = expected.0
        }
        guard reader.isAtEnd else { throw .malformed("the key data has trailing bytes") }
    }

    /// `SHA256:…` as `ssh-keygen -l` prints it.
    var fingerprint: String {
        "SHA256:" + Data(SHA256.hash(data: self.blob)).base64EncodedString().replacingOccurrences(of: "=", with: "")
    }

    /// The key in its canonical one-line form.
    var line: String {
        ([self.type, Data(self.blob).base64EncodedString()] + (self.comment.map { [$0] } ?? [])).joined(separator: " ")
    }

    private static func bitLength(_ mpint: [UInt8]) -> Int {
        guard let first = mpint.firstIndex(where: { $0 != 0 }) else { return 0 }
        return (mpint.count - first - 1) * 8 + (8 - mpint[first].leadingZeroBitCount)
    }

    /// Reads SSH wire-format strings (a 4-byte big-endian length, then the bytes).
    private struct Reader {
        let bytes: [UInt8]
        var offset = 0

        mutating func string() -> [UInt8]? {
            guard offset + 4 <= bytes.count else { return nil }
            let length = bytes[offset..<offset + 4].reduce(0) { $0 << 8 | Int($1) }
            offset += 4
            guard length <= bytes.count - offset else { return nil }
            defer { offset += length }
            return Array(bytes[offset..<offset + length])
        }

        var isAtEnd: Bool { offset == bytes.count }
    }
}

/// Why a pasted key was refused; both answer 422 with this message.
enum SSHKeyError: APIErrorConvertible, Equatable, CustomStringConvertible {
    case malformed(String)
    case unsupported(String)

    var description: String {
        switch self {
        case .malformed(let m), .unsupported(let m): m
        }
    }

    /// A pasted key that cannot be used is the caller's mistake, said in its own words.
    var apiError: APIError { APIError(.unprocessableContent, code: "invalid_public_key", message: self.description) }
}
