import Crypto
import Foundation
import OrcastraRuntime

/// What the gateway must remember between sending a browser to the provider and its return:
/// `state`, `nonce`, the PKCE verifier and where to go afterwards (Services/README.md, security rules 1–5).
///
/// Held in a short-lived cookie, HMAC-signed so it cannot be forged or edited; only the
/// state, the nonce and the verifier's S256 hash ever go to the provider.
struct LoginState: Codable, Sendable, Equatable {
    var state: String
    var nonce: String
    var verifier: String
    var returnTo: String
    var expires: Double

    static let cookieName = "orcastra_login"
    static let lifetime: Double = 15 * 60

    /// Fresh random values, each 256 bits.
    static func start(returnTo: String, now: Date = Date()) -> LoginState {
        LoginState(state: Self.random(), nonce: Self.random(), verifier: Self.random(), returnTo: ReturnPath.safe(returnTo),
                   expires: now.timeIntervalSince1970 + Self.lifetime)
    }

    static func random() -> String {
        Base64URL.encode(SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) })
    }

    /// RFC 7636 §4.2: BASE64URL(SHA256(ASCII(verifier))).
    var challenge: String { Base64URL.encode(SHA256.hash(data: Data(self.verifier.utf8))) }

    /// `payload.signature`, both base64url.
    func sealed(with key: SymmetricKey) throws -> String {
        let payload = Base64URL.encode(try JSONEncoder().encode(self))
        let signature = Base64URL.encode(HMAC<SHA256>.authenticationCode(for: Data(payload.utf8), using: key))
        return payload + "." + signature
    }

    /// The state in a cookie value, or nil when it is malformed, forged, edited or expired.
    static func open(_ value: String, with key: SymmetricKey, now: Date = Date()) -> LoginState? {
        let parts = value.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, let signature = Base64URL.decode(String(parts[1])),
              HMAC<SHA256>.isValidAuthenticationCode(signature, authenticating: Data(parts[0].utf8), using: key),
              let payload = Base64URL.decode(String(parts[0])),
              let state = try? JSONDecoder().decode(LoginState.self, from: payload),
              state.expires > now.timeIntervalSince1970 else { return nil }
        return state
    }

    /// Constant-time comparison of the `state` the provider sent back.
    func matches(state presented: String) -> Bool { SecureCompare.equal(presented, self.state) }
}

/// Where a browser may be sent after signing in: a path on this site and nothing else.
///
/// Security rule 5 (Services/README.md): only relative paths that start with one `/`; no `//` or `/\`
/// (protocol-relative), no scheme, no control characters or whitespace (raw or percent-encoded),
/// no backslashes anywhere. Anything else becomes `/`.
enum ReturnPath {
    static func safe(_ candidate: String?) -> String {
        guard let candidate, !candidate.isEmpty, candidate.utf8.count <= 2048 else { return "/" }
        guard candidate.hasPrefix("/"), !candidate.hasPrefix("//") else { return "/" }
        // Decode repeatedly so that %2F%2F, %5C and %09 tricks are judged by what they mean.
        var decoded = candidate
        for _ in 0..<3 {
            guard let next = decoded.removingPercentEncoding, next != decoded else { break }
            decoded = next
        }
        for text in [candidate, decoded] {
            if text.hasPrefix("//") || text.contains("\\") { return "/" }
            if text.unicodeScalars.contains(where: { $0.properties.isWhitespace || $0.value < 0x20 || $0.value == 0x7F || (0x80...0x9F).contains($0.value) }) {
                return "/"
            }
            // A scheme before the first slash ("/x:..." is fine; "javascript:..." cannot start with "/").
            if let colon = text.firstIndex(of: ":"), !text[..<colon].contains("/") { return "/" }
        }
        return candidate
    }
}
