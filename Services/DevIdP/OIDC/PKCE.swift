import OrcastraRuntime
import Crypto

/// Proof Key for Code Exchange (RFC 7636), S256 only.
enum PKCE {
    /// `BASE64URL(SHA256(ASCII(verifier))) == challenge`, for a verifier of the allowed form
    /// (43 to 128 unreserved characters, §4.1).
    static func verify(verifier: String, challenge: String) -> Bool {
        guard (43...128).contains(verifier.utf8.count), verifier.unicodeScalars.allSatisfy(Self.isUnreserved) else { return false }
        let computed = Base64URL.encode(SHA256.hash(data: Array(verifier.utf8)))
        return SecureCompare.equal(computed, challenge)
    }

    static func challenge(for verifier: String) -> String {
        Base64URL.encode(SHA256.hash(data: Array(verifier.utf8)))
    }

    private static func isUnreserved(_ s: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(s) || ("A"..."Z").contains(s) || ("0"..."9").contains(s) || "-._~".unicodeScalars.contains(s)
    }
}
