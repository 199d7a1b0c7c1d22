import AsyncHTTPClient
import Foundation
import JWTKit
import NIOCore
import Synchronization

/// The provider's signing keys, fetched through discovery and kept between requests.
///
/// What no common library does and RFC 8725 / security rules 12–14 (Services/README.md) ask for:
/// - an unknown `kid` triggers at most one fetch per `refetchCooldown`, so a flood of made-up
///   key ids cannot flood the provider, and concurrent fetches are merged into one;
/// - when the provider is down or answers 5xx, the keys we have keep verifying until
///   `maxAge + staleIfError` after they were fetched;
/// - a successful fetch replaces the whole set, so a key the provider removed stops working, and
///   a set whose content changed gets a new `generation`, which ends every cached verification
///   made with the old one (`VerifiedTokenCache`);
/// - jwt-kit's "default key" (used for tokens whose kid it does not know) is always cleared; a
///   token without a kid is verified only with the single published key for its algorithm.
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

    /// A key ready to verify with: jwt-kit's collection holding it (under its kid, or as the
    /// only key for a token without one), the one algorithm the key may be used with, and the
    /// generation of the set it came from.
    public struct Key: Sendable {
        public let collection: JWTKeyCollection
        public let algorithm: String
        public let generation: UInt64
    }

    public enum Lookup: Sendable {
        case found(Key)
        case unknownKid
        /// A token without a kid, and not exactly one published key for its algorithm.
        case noSingleKey(String)
        case unavailable(String)
    }

    /// What a caller may read without waiting for the actor: which set is current and since when.
    /// `VerifiedTokenCache` reads it on every request, so it sits behind a lock, not an actor hop.
    public struct Freshness: Sendable, Equatable {
        /// Goes up by one whenever a fetch brings a set whose content differs from the last one.
        public var generation: UInt64 = 0
        public var fetchedAt: ContinuousClock.Instant?
    }

    private let policy: Policy
    private let fetchBody: @Sendable () async throws -> [UInt8]
    private var keys: JWKSKeySet?
    private var lastAttempt: ContinuousClock.Instant?
    private var lastError: String?
    private var inFlight: Task<Void, Never>?
    private nonisolated let published = Mutex(Freshness())

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

    public nonisolated var freshness: Freshness { self.published.withLock { $0 } }

    /// Whether a token verified with a key of set `generation` may skip verification now: that
    /// set is still the current one and younger than `maxAge` (past it, the next verification
    /// refreshes the set, and the stale window of rule 13 applies as without a cache).
    public nonisolated func isCurrent(generation: UInt64, now: ContinuousClock.Instant = .now) -> Bool {
        let freshness = self.freshness
        guard freshness.generation == generation, let fetchedAt = freshness.fetchedAt else { return false }
        return now - fetchedAt < self.policy.maxAge
    }

    /// The key named `kid`, fetching the set when it is missing, unknown or too old.
    public func key(kid: String) async -> Lookup {
        let now = ContinuousClock.now
        if self.isDue(now) || self.keys.map({ $0.algorithms[kid] == nil }) == true {
            await self.refreshIfAllowed(now: now)
        }
        let keys: JWKSKeySet
        switch self.usable() {
        case .success(let current): keys = current
        case .failure(let why): return .unavailable(why.description)
        }
        guard let algorithm = keys.algorithms[kid] else { return .unknownKid }
        return .found(Key(collection: keys.byKid, algorithm: algorithm, generation: self.freshness.generation))
    }

    /// The one published key for `algorithm`, for a token that names no key; fetching the set
    /// when it is missing, too old, or has no key for the algorithm (the same cooldown as an
    /// unknown kid applies). Two or more keys for the algorithm is a refusal, never a guess.
    public func onlyKey(algorithm: String) async -> Lookup {
        let now = ContinuousClock.now
        if self.isDue(now) || self.keys.map({ $0.keys(for: algorithm).isEmpty }) == true {
            await self.refreshIfAllowed(now: now)
        }
        let keys: JWKSKeySet
        switch self.usable() {
        case .success(let current): keys = current
        case .failure(let why): return .unavailable(why.description)
        }
        let matching = keys.keys(for: algorithm)
        guard matching.count == 1 else {
            return .noSingleKey(matching.isEmpty
                ? "the token has no key id and no published key is for \(algorithm)"
                : "the token has no key id and \(matching.count) published keys are for \(algorithm), so it cannot say which signed it")
        }
        return .found(Key(collection: matching[0].collection, algorithm: algorithm, generation: self.freshness.generation))
    }

    /// After a token without a kid failed verification with set `generation`'s only key: fetch
    /// again if the cooldown allows (the provider may have replaced its one key, and such a
    /// token cannot say so with a new kid) and answer whether the set is now a different one.
    public func refetch(after generation: UInt64) async -> Bool {
        await self.refreshIfAllowed(now: .now)
        return self.freshness.generation != generation
    }

    private func isDue(_ now: ContinuousClock.Instant) -> Bool {
        self.freshness.fetchedAt.map { now - $0 >= self.policy.maxAge } ?? true
    }

    /// The current set, unless there is none or it is past the stale window.
    private func usable() -> Result<JWKSKeySet, OIDCError> {
        guard let keys = self.keys, let fetchedAt = self.freshness.fetchedAt else {
            return .failure(OIDCError(self.lastError ?? "no signing keys yet"))
        }
        if ContinuousClock.now - fetchedAt >= self.policy.maxAge + self.policy.staleIfError {
            return .failure(OIDCError("the signing keys are older than the stale window and cannot be refreshed: \(self.lastError ?? "unknown error")"))
        }
        return .success(keys)
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
            let parsed = try await JWKSKeySet.parse(body)
            let changed = self.keys?.digest != parsed.digest
            self.keys = parsed
            self.lastError = nil
            self.published.withLock { freshness in
                if changed { freshness.generation += 1 }
                freshness.fetchedAt = ContinuousClock.now
            }
        } catch {
            self.lastError = "\(error)"
        }
    }
}
