import Foundation
import JWTKit

/// Checks a bearer JWT the way security rules 11–16 (Services/README.md) ask, in this order:
/// size, header (`alg` pinned by configuration, `kid`, `typ` read only to tell ID tokens apart),
/// key (from `JWKSCache`, whose algorithm must equal the header's), signature (jwt-kit), then
/// `iss` exactly, `aud`, `exp` and `nbf` with leeway, `sub`, and (for access tokens) that it is
/// not an ID token. Header-embedded `jwk`, `jku` and `x5u` are never read.
///
/// A token without a `kid` (OpenID Connect Core §10.1 lets a provider leave it out while its set
/// holds one key) is verified with the one published key for its algorithm, and refused when
/// the set has none or several for it: the verifier never tries keys in turn.
public struct TokenVerifier: Sendable {
    public struct Policy: Sendable {
        /// What a JWKS can carry and jwt-kit verifies; HMAC and `none` are never accepted.
        public static let asymmetricAlgorithms: Set<String> = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"]

        /// `JWT_ALGORITHMS`, checked against `asymmetricAlgorithms`.
        public static func algorithms(_ s: Settings) throws(ConfigError) -> Set<String> {
            let algorithms = Set(s.list("JWT_ALGORITHMS", default: ["RS256", "ES256"]).map { $0.uppercased() == "EDDSA" ? "EdDSA" : $0.uppercased() })
            guard !algorithms.isEmpty, algorithms.isSubset(of: Self.asymmetricAlgorithms) else {
                throw ConfigError("JWT_ALGORITHMS", "must list only asymmetric algorithms (\(Self.asymmetricAlgorithms.sorted().joined(separator: ", "))); HMAC and none are never accepted")
            }
            return algorithms
        }

        public var issuer: String
        public var audience: String
        public var algorithms: Set<String>
        public var leeway: Duration
        public var maxTokenBytes: Int
        /// Refuse tokens that are recognisably ID tokens (`TokenClaims.isIDToken`). On for the
        /// API, where a bearer must be an access token: an ID token is meant for the client that
        /// asked for it, and any party it was shown to could otherwise replay it as a credential.
        /// Off only where ID tokens are what is being checked (the gateway's sign-in).
        public var refusesIDTokens: Bool

        public init(issuer: String, audience: String, algorithms: Set<String> = ["RS256", "ES256"], leeway: Duration = .seconds(60), maxTokenBytes: Int = 16 * 1024,
                    refusesIDTokens: Bool = true) {
            self.issuer = issuer
            self.audience = audience
            self.algorithms = algorithms
            self.leeway = leeway
            self.maxTokenBytes = maxTokenBytes
            self.refusesIDTokens = refusesIDTokens
        }
    }

    public let policy: Policy
    public let keys: JWKSCache
    /// Where `exp` and `nbf` are measured from; tests pass a clock they move by hand.
    public let now: @Sendable () -> Date

    public init(policy: Policy, keys: JWKSCache, now: @escaping @Sendable () -> Date = { Date() }) {
        self.policy = policy
        self.keys = keys
        self.now = now
    }

    /// The token's claims, or `TokenRejection` saying why it is refused.
    public func verify(_ token: String) async throws(TokenRejection) -> TokenClaims {
        try await self.verified(token).claims
    }

    /// What a successful verification knows: the claims, and the generation of the key set
    /// whose key checked the signature, so a cache can drop the result when that set changes.
    public struct Verified: Sendable {
        public var claims: TokenClaims
        public var keysGeneration: UInt64
    }

    /// As `verify`, with the key set's generation.
    public func verified(_ token: String) async throws(TokenRejection) -> Verified {
        guard token.utf8.count <= self.policy.maxTokenBytes else { throw TokenRejection("token larger than \(self.policy.maxTokenBytes) bytes") }
        let header = try Self.header(of: token)
        guard let alg = header.alg, self.policy.algorithms.contains(alg) else {
            throw TokenRejection("algorithm \(header.alg ?? "missing") is not accepted")
        }
        let (claims, generation): (TokenClaims, UInt64)
        if let kid = header.kid {
            guard !kid.isEmpty else { throw TokenRejection("token has an empty key id") }
            let key = try await Self.found(self.keys.key(kid: kid))
            guard key.algorithm == alg else { throw TokenRejection("key \(kid) is for \(key.algorithm), token says \(alg)") }
            (claims, generation) = (try await Self.signature(of: token, with: key), key.generation)
        } else {
            (claims, generation) = try await self.verifyWithoutKid(token, alg: alg)
        }
        try self.check(claims)
        if self.policy.refusesIDTokens, claims.isIDToken(typ: header.typ) { throw TokenRejection("an ID token is not an access token") }
        return Verified(claims: claims, keysGeneration: generation)
    }

    /// A token without a kid: the single key for `alg`. If its signature does not verify, the set
    /// is fetched again once (cooldown permitting), since a provider that replaced its one key
    /// has no new kid to tell us so; with a different set the check runs once more.
    private func verifyWithoutKid(_ token: String, alg: String) async throws(TokenRejection) -> (TokenClaims, UInt64) {
        let key = try await Self.found(self.keys.onlyKey(algorithm: alg))
        do throws(TokenRejection) {
            return (try await Self.signature(of: token, with: key), key.generation)
        } catch {
            guard await self.keys.refetch(after: key.generation) else { throw error }
            let fresh = try await Self.found(self.keys.onlyKey(algorithm: alg))
            return (try await Self.signature(of: token, with: fresh), fresh.generation)
        }
    }

    private static func found(_ lookup: JWKSCache.Lookup) throws(TokenRejection) -> JWKSCache.Key {
        switch lookup {
        case .found(let key): return key
        case .unknownKid: throw TokenRejection("unknown key id")
        case .noSingleKey(let why): throw TokenRejection(why)
        case .unavailable(let why): throw TokenRejection("signing keys unavailable: \(why)")
        }
    }

    private static func signature(of token: String, with key: JWKSCache.Key) async throws(TokenRejection) -> TokenClaims {
        do {
            return try await key.collection.verify(token, as: TokenClaims.self)
        } catch {
            throw TokenRejection("signature or payload invalid: \(error)")
        }
    }

    /// The registered-claim checks, after the signature is known good.
    func check(_ claims: TokenClaims) throws(TokenRejection) {
        guard let issuer = claims.issuer else { throw TokenRejection("missing iss") }
        guard issuer == self.policy.issuer else { throw TokenRejection("iss \(issuer) is not \(self.policy.issuer)") }
        guard let audience = claims.audience, !audience.isEmpty else { throw TokenRejection("missing aud") }
        guard audience.contains(self.policy.audience) else { throw TokenRejection("aud does not name this client") }
        guard let subject = claims.subject, !subject.isEmpty else { throw TokenRejection("missing sub") }
        guard let expires = claims.expires else { throw TokenRejection("missing exp") }
        let now = self.now().timeIntervalSince1970
        let leeway = Double(self.policy.leeway.components.seconds)
        guard now < expires + leeway else { throw TokenRejection("expired") }
        if let notBefore = claims.notBefore, now + leeway < notBefore { throw TokenRejection("not valid yet (nbf)") }
    }

    struct Header: Decodable {
        var alg: String?
        var kid: String?
        var typ: String?
    }

    /// Whether `token` has the shape of a compact JWS (three dot-separated parts), which decides
    /// whether the API checks it here or asks the provider about it as an opaque token.
    public static func isCompactJWS(_ token: String) -> Bool {
        token.utf8.lazy.filter { $0 == UInt8(ascii: ".") }.count == 2
    }

    /// The JOSE header, decoded without trusting anything in it yet.
    static func header(of token: String) throws(TokenRejection) -> Header {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3 else { throw TokenRejection("not a compact JWS") }
        guard let data = Base64URL.decode(String(parts[0])),
              let header = try? JSONDecoder().decode(Header.self, from: data) else {
            throw TokenRejection("header is not base64url JSON")
        }
        return header
    }
}

/// Why a token was refused; logged at debug level, never shown to the caller (who gets 401).
public struct TokenRejection: Error, CustomStringConvertible, Equatable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// base64url without padding (RFC 7515 §2), as JOSE uses it.
public enum Base64URL {
    public static func encode(_ bytes: some Sequence<UInt8>) -> String {
        Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    public static func decode(_ text: String) -> Data? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        guard !base64.contains("=") else { return nil }
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        return Data(base64Encoded: base64)
    }
}
