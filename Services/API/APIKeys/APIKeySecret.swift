import Crypto
import Foundation
import OrcastraRuntime

/// The shape of an API key: `orc_<8 hex>_<43 base64url>`, 256 random bits after the prefix.
///
/// Only its SHA-256 is stored; the `orc_<8 hex>` prefix is kept in clear so that people can
/// tell their keys apart in a list and in the audit trail.
struct APIKeySecret: Sendable {
    static let marker = "orc_"
    let value: String

    var prefix: String { String(self.value.prefix(Self.marker.count + 8)) }
    var hash: Data { Self.hash(self.value) }

    static func generate() -> APIKeySecret {
        let tag = Hex.encode((0..<4).map { _ in UInt8.random(in: 0...255) })
        var secret = SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) }
        defer { secret.withUnsafeMutableBytes { $0.initializeMemory(as: UInt8.self, repeating: 0) } }
        return APIKeySecret(value: Self.marker + tag + "_" + Base64URL.encode(secret))
    }

    static func hash(_ value: String) -> Data { Data(SHA256.hash(data: Data(value.utf8))) }

    /// Whether a credential is meant as an API key rather than a JWT.
    static func looksLikeKey(_ credential: String) -> Bool { credential.hasPrefix(Self.marker) }
}
