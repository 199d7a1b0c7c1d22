import AsyncHTTPClient
import Foundation
import JWTKit
import NIOCore

/// The provider's signing keys, fetched through discovery and kept between requests.
///
/// What no common library does and RFC 8725 / security rules 12–14 (Services/README.md) ask for:
/// - an unknown `kid` triggers at most one fetch per `refetchCooldown`, so a flood of made-up
///   key ids cannot flood the provider, and concurrent fetches are merged into one;
/// - when the provider is down or answers 5xx, the keys we have keep verifying until
///   `maxAge + staleIfError` after they were fetched;
/// - a successful fetch replaces the whole set, so a key the provider removed stops working;
/// - jwt-kit's "default key" (used for tokens whose kid it does not know) is always cleared.
public actor JWKSCache {
    public struct Policy: Sendable {
        /// Least time between two fetches caused by unknown key ids or failures.
        public var refetchCooldown: Duration
        /// How long a fetched set is used without asking again.
        public var maxAge: Duration
        /// How long past `maxAge` the set is still used while the provider cannot be reached.
        public var staleIfError: Duration

        public init(refetchCooldown: Duration = .seconds(60), maxAge: Duration = .seconds(3600), staleIfError: Duration = .seconds(86_400)) {
            self.refetchCooldown = refetchCooldown
            self.maxAge = maxAge
            self.staleIfError = staleIfError
        }
    }

    /// A key ready to verify with: jwt-kit's collection holding it under its kid, and the one
    /// algorithm the key may be used with.
    public struct Key: Sendable {
        public let collection: JWTKeyCollection
        public let algorithm: String
    }

    public enum Lookup: Sendable {
        case found(Key)
        case unknownKid
        case unavailable(String)
    }

    private let policy: Policy
    private let fetchBody: @Sendable () async throws -> [UInt8]
    private var keys: (collection: JWTKeyCollection, algorithms: [String: String])?
    private var fetchedAt: ContinuousClock.Instant?
    private var lastAttempt: ContinuousClock.Instant?
    private var lastError: String?
    private var inFlight: Task<Void, Never>?

    /// `fetchBody` answers the JWKS document; see `discovering(issuer:http:policy:)`.
    public init(policy: Policy, fetchBody: @escaping @Sendable () async throws -> [UInt8]) {
        self.policy = policy
        self.fetchBody = fetchBody
    }

    /// A cache that finds `jwks_uri` through the issuer's discovery document (fetched again
    /// whenever a key fetch is due, so a moved `jwks_uri` is followed).
    public static func discovering(issuer: String, http: HTTPClient, policy: Policy) -> JWKSCache {
        JWKSCache(policy: policy) {
            let metadata = try await ProviderMetadata.fetch(issuer: issuer, http: http)
            return try await OIDCFetch.get(metadata.jwksURI, http: http, timeout: .seconds(5))
        }
    }

    /// The key named `kid`, fetching the set when it is missing, unknown or too old.
    public func key(kid: String) async -> Lookup {
        let now = ContinuousClock.now
        let due = self.fetchedAt.map { now - $0 >= self.policy.maxAge } ?? true
        if due || self.keys.map({ $0.algorithms[kid] == nil }) == true {
            await self.refreshIfAllowed(now: now)
        }
        guard let keys = self.keys, let fetchedAt = self.fetchedAt else {
            return .unavailable(self.lastError ?? "no signing keys yet")
        }
        if ContinuousClock.now - fetchedAt >= self.policy.maxAge + self.policy.staleIfError {
            return .unavailable("the signing keys are older than the stale window and cannot be refreshed: \(self.lastError ?? "unknown error")")
        }
        guard let algorithm = keys.algorithms[kid] else { return .unknownKid }
        return .found(Key(collection: keys.collection, algorithm: algorithm))
    }

    /// One fetch at a time, none within the cooldown of the previous attempt; callers that
    /// arrive while a fetch runs wait for it instead of starting another.
    private func refreshIfAllowed(now: ContinuousClock.Instant) async {
        if let running = self.inFlight {
            await running.value
            return
        }
        if let last = self.lastAttempt, now - last < self.policy.refetchCooldown { return }
        self.lastAttempt = now
        let task = Task { await self.fetchAndReplace() }
        self.inFlight = task
        await task.value
        self.inFlight = nil
    }

    private func fetchAndReplace() async {
        do {
            let body = try await self.fetchBody()
            self.keys = try await Self.parse(body)
            self.fetchedAt = ContinuousClock.now
            self.lastError = nil
        } catch {
            self.lastError = "\(error)"
        }
    }

    /// Builds a jwt-kit collection from a JWKS document, one key at a time so that a key we
    /// cannot use (no kid, unknown type) is skipped rather than failing the whole set.
    static func parse(_ body: [UInt8]) async throws -> (JWTKeyCollection, [String: String]) {
        let jwks: JWKS
        do {
            jwks = try JSONDecoder().decode(JWKS.self, from: Data(body))
        } catch {
            throw OIDCError("the JWKS document is not valid: \(error)")
        }
        let collection = JWTKeyCollection()
        var algorithms: [String: String] = [:]
        for jwk in jwks.keys {
            guard let kid = jwk.keyIdentifier?.string, let algorithm = Self.algorithm(of: jwk) else { continue }
            if (try? await collection.add(jwk: jwk)) != nil {
                algorithms[kid] = algorithm
            }
        }
        _ = await collection.clearDefault()
        return (collection, algorithms)
    }

    /// The algorithm a key is for: its `alg`, else what its type and curve imply.
    static func algorithm(of jwk: JWK) -> String? {
        if let alg = jwk.algorithm?.rawValue { return alg }
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
}
