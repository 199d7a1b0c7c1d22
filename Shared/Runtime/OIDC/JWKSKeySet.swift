import Crypto
import Foundation
import JWTKit

/// One fetched JWKS document, ready to verify with.
///
/// Two views of the same keys, because tokens come two ways:
/// - `byKid`: every key that has a `kid`, in one jwt-kit collection with no default key, for
///   tokens that name their key (jwt-kit would otherwise verify an unknown kid with the default);
/// - `signing`: every signing key, with or without a `kid`, each alone in a collection of its own
///   where it is the default, for tokens that carry no `kid` at all (OpenID Connect Core §10.1
///   allows that while the set holds one key). `TokenVerifier` uses one of these only after
///   making sure it is the single key for the token's algorithm.
struct JWKSKeySet: Sendable {
    struct SigningKey: Sendable {
        let algorithm: String
        /// This key alone, as the collection's default key.
        let collection: JWTKeyCollection
    }

    let byKid: JWTKeyCollection
    /// kid → the one algorithm that key may be used with.
    let algorithms: [String: String]
    let signing: [SigningKey]
    /// SHA-256 of the usable keys' material, in a fixed order, to tell a changed set from the
    /// same one fetched again (whatever order the provider wrote its keys and members in).
    let digest: SHA256.Digest

    /// The signing keys for `algorithm`.
    func keys(for algorithm: String) -> [SigningKey] {
        self.signing.filter { $0.algorithm == algorithm }
    }

    /// Builds the set one key at a time, so that a key we cannot use (unknown type, no
    /// algorithm we can tell, `use` other than `sig`) is skipped rather than failing the set.
    static func parse(_ body: [UInt8]) async throws -> JWKSKeySet {
        let jwks: JWKS
        let uses: KeyUses
        do {
            jwks = try JSONDecoder().decode(JWKS.self, from: Data(body))
            uses = try JSONDecoder().decode(KeyUses.self, from: Data(body))
        } catch {
            throw OIDCError("the JWKS document is not valid: \(error)")
        }
        let byKid = JWTKeyCollection()
        var algorithms: [String: String] = [:]
        var signing: [SigningKey] = []
        var material: [String] = []
        for (index, jwk) in jwks.keys.enumerated() {
            // RFC 7517 §4.2: a key published for encryption is not a signing key.
            if index < uses.keys.count, let use = uses.keys[index].use, use != "sig" { continue }
            guard let algorithm = Self.algorithm(of: jwk) else { continue }
            var alone = jwk
            // jwt-kit files keys by kid; a key without one gets a name no token header can carry
            // into `byKid`, since it is added to its own collection only.
            if alone.keyIdentifier == nil { alone.keyIdentifier = JWKIdentifier(string: "#\(index)") }
            let own = JWTKeyCollection()
            guard (try? await own.add(jwk: alone, isDefault: true)) != nil else { continue }
            signing.append(SigningKey(algorithm: algorithm, collection: own))
            material.append([jwk.keyIdentifier?.string, algorithm, jwk.keyType.rawValue, jwk.modulus, jwk.exponent, jwk.curve?.rawValue, jwk.x, jwk.y]
                .map { $0 ?? "" }.joined(separator: " "))
            if let kid = jwk.keyIdentifier?.string, (try? await byKid.add(jwk: jwk)) != nil {
                algorithms[kid] = algorithm
            }
        }
        _ = await byKid.clearDefault()
        let digest = SHA256.hash(data: Array(material.sorted().joined(separator: "\n").utf8))
        return JWKSKeySet(byKid: byKid, algorithms: algorithms, signing: signing, digest: digest)
    }

    /// The algorithm a key is for: its `alg`, else what its type and curve imply.
    static func algorithm(of jwk: JWK) -> String? {
        if let alg = jwk.algorithm?.rawValue { return TokenVerifier.Policy.asymmetricAlgorithms.contains(alg) ? alg : nil }
        switch jwk.keyType {
        case .rsa: return "RS256"
        case .ecdsa:
            switch jwk.curve?.rawValue {
            case "P-256": return "ES256"
            case "P-384": return "ES384"
            case "P-521": return "ES512"
            default: return nil
            }
        default: return nil
        }
    }

    /// The `use` of each key, which jwt-kit's `JWK` does not read.
    private struct KeyUses: Decodable {
        struct Entry: Decodable { var use: String? }
        var keys: [Entry]
    }
}
