import Foundation
import JWTKit

/// Checks a bearer JWT the way security rules 11–16 (Services/README.md) ask, in this order:
/// size, header (`alg` pinned by configuration, `kid` required, `typ` read only to tell ID tokens apart), key (from `JWKSCache`, whose
/// algorithm must equal the header's), signature (jwt-kit), then `iss` exactly, `aud`, `exp`
/// and `nbf` with leeway, `sub`, and (for access tokens) that it is not an ID token. Header-embedded `jwk`, `jku` and `x5u` are never read.
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
    let now: @Sendable () -> Date

    public init(policy: Policy, keys: JWKSCache, now: @escaping @Sendable () -> Date = { Date() }) {
        self.policy = policy
        self.keys = keys
        self.now = now
    }

    /// The token's claims, or `TokenRejection` saying why it is refused.
    public func verify(_ token: String) async throws(TokenRejection) -> TokenClaims {
        guard token.utf8.count <= self.policy.maxTokenBytes else { throw TokenRejection("token larger than \(self.policy.maxTokenBytes) bytes") }
        let header = try Self.header(of: token)
        guard let alg = header.alg, self.policy.algorithms.contains(alg) else {
            throw TokenRejection("algorithm \(header.alg ?? "missing") is not accepted")
        }
        guard let kid = header.kid, !kid.isEmpty else { throw TokenRejection("token has no key id") }
        let key: JWKSCache.Key
        switch await self.keys.key(kid: kid) {
        case .found(let found): key = found
        case .unknownKid: throw TokenRejection("unknown key id")
        case .unavailable(let why): throw TokenRejection("signing keys unavailable: \(why)")
        }
        guard key.algorithm == alg else { throw TokenRejection("key \(kid) is for \(key.algorithm), token says \(alg)") }
        let claims: TokenClaims
        do {
            claims = try await key.collection.verify(token, as: TokenClaims.self)
        } catch {
            throw TokenRejection("signature or payload invalid: \(error)")
        }
        try self.check(claims)
        if self.policy.refusesIDTokens, claims.isIDToken(typ: header.typ) { throw TokenRejection("an ID token is not an access token") }
        return claims
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
