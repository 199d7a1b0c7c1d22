import OrcastraRuntime
/// Opaque random strings for authorization codes and refresh tokens.
enum RandomToken {
    /// `bytes` random bytes (256 bits by default) as base64url: unguessable, URL-safe.
    static func make(bytes: Int = 32) -> String {
        var generator = SystemRandomNumberGenerator()
        return Base64URL.encode((0..<bytes).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
    }
}
