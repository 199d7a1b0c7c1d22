import OrcastraRuntime
import _CryptoExtras
import Crypto
import JWTKit
import Synchronization

/// One RSA key pair that signs tokens, with its key id and public JWK.
///
/// jwt-kit keeps signers in an actor, which can only be filled from async code; the collection
/// is therefore filled on first use rather than in `init`, so that building the application
/// stays synchronous.
final class SigningKey: Sendable {
    let privateKey: _RSA.Signing.PrivateKey
    /// Hex of the first 16 bytes of the SHA-256 of the public key's DER: a stable name for the
    /// key, so a reloaded key file keeps its kid and tokens issued before a restart verify.
    let kid: String
    let jwk: PublicJWK
    private let jwtKey: JWTKit.Insecure.RSA.PrivateKey
    private let collection = JWTKeyCollection()
    private let prepared = Mutex(false)

    init(privateKey: _RSA.Signing.PrivateKey) throws {
        self.privateKey = privateKey
        self.jwtKey = try JWTKit.Insecure.RSA.PrivateKey(backing: privateKey)
        let publicKey = privateKey.publicKey
        self.kid = Hex.encode(SHA256.hash(data: Array(publicKey.derRepresentation)).prefix(16))
        let primitives = try publicKey.getKeyPrimitives()
        self.jwk = PublicJWK(
            kid: self.kid,
            n: Base64URL.encode(primitives.modulus.drop { $0 == 0 }),
            e: Base64URL.encode(primitives.publicExponent.drop { $0 == 0 })
        )
    }

    /// A fresh 2048-bit key.
    static func generate() throws -> SigningKey {
        try SigningKey(privateKey: _RSA.Signing.PrivateKey(keySize: .bits2048))
    }

    /// The jwt-kit collection holding only this key, under its kid.
    func keys() async -> JWTKeyCollection {
        if self.prepared.withLock({ $0 }) { return self.collection }
        await self.collection.add(rsa: self.jwtKey, digestAlgorithm: .sha256, kid: JWKIdentifier(string: self.kid))
        self.prepared.withLock { $0 = true }
        return self.collection
    }

    /// An RS256 JWT with header `{"alg":"RS256","kid":…,"typ":"JWT"}`, or without the `kid`
    /// when `omittingKid` (the collection's only key, its default, signs it).
    func sign(_ claims: some JWTPayload, omittingKid: Bool = false) async throws -> String {
        if omittingKid { return try await self.keys().sign(claims) }
        return try await self.keys().sign(claims, kid: JWKIdentifier(string: self.kid))
    }

    /// Checks the signature (and nothing else: the payload's own `verify` is a no-op, callers
    /// check time and audience, since end-session must accept expired tokens).
    func verify<Payload: JWTPayload>(_ token: String, as type: Payload.Type) async throws -> Payload {
        try await self.keys().verify(token, as: type)
    }
}
