/// One RSA signing key as the JWKS publishes it (RFC 7517 §4, RFC 7518 §6.3.1).
struct PublicJWK: Codable, Sendable, Equatable {
    var kty = "RSA"
    var alg = "RS256"
    var use = "sig"
    var kid: String
    /// Modulus, base64url, big-endian, no leading zero bytes.
    var n: String
    /// Public exponent, base64url.
    var e: String
}

/// `{"keys": [...]}`.
struct JWKSDocument: Codable, Sendable, Equatable {
    var keys: [PublicJWK]
}
