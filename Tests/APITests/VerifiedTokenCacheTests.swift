import Foundation
import OrcastraRuntime
import Synchronization
import Testing

@testable import OrcastraAPI

/// The verified-token cache on the API's authenticated path: a JWT verified once is answered
/// from memory until its `exp`, never past it, and never after the key set that verified it
/// has changed. The key set is served from memory here (a closure standing for the JWKS
/// endpoint), so a test can remove a key and see exactly when its tokens stop.
@Suite("Verified-token cache")
struct VerifiedTokenCacheTests {
    /// The JWKS a test publishes, and how often it was fetched.
    final class Published: Sendable {
        private let state = Mutex<(keys: [TestIssuer.Key], fetches: Int)>(([TestIssuer.sharedKey], 0))

        func publish(_ keys: [TestIssuer.Key]) { self.state.withLock { $0.keys = keys } }
        var fetches: Int { self.state.withLock { $0.fetches } }

        func body() throws -> [UInt8] {
            let keys = self.state.withLock { state in
                state.fetches += 1
                return state.keys
            }
            return Array(try JSONEncoder().encode(["keys": try keys.map { try TestIssuer.jwk($0) }]))
        }
    }

    static let issuer = "http://issuer.test/application/o/test/"

    /// Claims as `TestIssuer.claims`, for this suite's issuer and clock.
    static func claims(_ subject: String, now: Date, lifetime: TimeInterval = 300) -> [String: any Sendable] {
        ["iss": Self.issuer, "sub": subject, "aud": TestIssuer.audience, "exp": now.timeIntervalSince1970 + lifetime,
         "iat": now.timeIntervalSince1970, "groups": ["role_tenant"], "azp": TestIssuer.audience, "uid": "u"]
    }

    static func verifier(_ published: Published, clock: ManualDate, jwks: JWKSCache.Policy = .init(refetchCooldown: .zero), leeway: Duration = .seconds(60),
                         capacity: Int = 10_000) -> BearerVerifier {
        let keys = JWKSCache(policy: jwks) { try published.body() }
        let jwt = TokenVerifier(policy: .init(issuer: Self.issuer, audience: TestIssuer.audience, leeway: leeway), keys: keys, now: clock.now)
        return BearerVerifier(jwt: jwt, cache: VerifiedTokenCache(capacity: capacity, now: clock.now))
    }

    static func signer() -> TestIssuer { TestIssuer() }

    @Test("a JWT is verified once and then answered from the cache, until its exp exactly (injected clock), leeway or not")
    func endsAtExp() async throws {
        let clock = ManualDate(), published = Published()
        let verifier = Self.verifier(published, clock: clock)
        let token = try Self.signer().token(Self.claims("carl", now: clock.now(), lifetime: 300))
        #expect(try await verifier.verify(token).subject == "carl")
        #expect(verifier.cache.count == 1)
        clock.advance(seconds: 299)
        #expect(try await verifier.verify(token).subject == "carl")
        #expect(verifier.cache.hits == 1)

        // Past exp but inside the 60 s leeway: still accepted, by a fresh verification, and not
        // cached again (the entry would already have ended).
        clock.advance(seconds: 2)
        #expect(try await verifier.verify(token).subject == "carl")
        #expect(verifier.cache.hits == 1)
        #expect(verifier.cache.count == 0)
        clock.advance(seconds: 60)
        await #expect(throws: TokenRejection.self) { try await verifier.verify(token) }
    }

    @Test("a key removed from the JWKS ends its cached tokens on the first request after the set is fetched again")
    func removedKeyEndsCachedTokens() async throws {
        let clock = ManualDate(), published = Published()
        let verifier = Self.verifier(published, clock: clock)
        let issuer = Self.signer()
        let old = try issuer.token(Self.claims("olga", now: clock.now()))
        #expect(try await verifier.verify(old).subject == "olga")
        #expect(try await verifier.verify(old).subject == "olga")
        #expect(verifier.cache.hits == 1, "the second request was answered from the cache")

        let replacement = TestIssuer.Key(kid: "key-2", rsa: TestIssuer.secondKey)
        published.publish([replacement])
        // Another caller's token names the new key: the API fetches the set, which no longer has key-1.
        let fresh = try issuer.token(Self.claims("nina", now: clock.now()), key: replacement)
        #expect(try await verifier.verify(fresh).subject == "nina")
        await #expect(throws: TokenRejection.self, "cached, but its key is gone") { try await verifier.verify(old) }
    }

    @Test("past JWKS_MAX_AGE_SECONDS a cached token is verified again, which fetches the set: a removed key stops it with no other token's help")
    func maxAgeReverifies() async throws {
        let clock = ManualDate(), published = Published()
        let verifier = Self.verifier(published, clock: clock, jwks: .init(refetchCooldown: .zero, maxAge: .milliseconds(200)))
        let token = try Self.signer().token(Self.claims("max", now: clock.now()))
        #expect(try await verifier.verify(token).subject == "max")
        #expect(try await verifier.verify(token).subject == "max")
        #expect(verifier.cache.hits == 1)
        published.publish([TestIssuer.Key(kid: "key-2", rsa: TestIssuer.secondKey)])
        try await Task.sleep(for: .milliseconds(300))
        let before = published.fetches
        await #expect(throws: TokenRejection.self) { try await verifier.verify(token) }
        #expect(published.fetches > before)
    }

    @Test("the same set fetched again keeps the cache; a refused token is never cached")
    func unchangedSetKeepsEntries() async throws {
        let clock = ManualDate(), published = Published()
        let verifier = Self.verifier(published, clock: clock)
        let issuer = Self.signer()
        let token = try issuer.token(Self.claims("sam", now: clock.now()))
        #expect(try await verifier.verify(token).subject == "sam")
        let generation = verifier.jwt.keys.freshness.generation
        // An unknown kid makes the cache fetch the (unchanged) set.
        let stranger = TestIssuer.Key(kid: "unknown", rsa: TestIssuer.sharedKey.rsa)
        await #expect(throws: TokenRejection.self) { try await verifier.verify(try issuer.token(Self.claims("x", now: clock.now()), key: stranger)) }
        #expect(published.fetches == 2)
        #expect(verifier.jwt.keys.freshness.generation == generation)
        #expect(try await verifier.verify(token).subject == "sam")
        #expect(verifier.cache.hits == 1)
        #expect(verifier.cache.count == 1)
    }

    @Test("bounded: storing into a full cache drops the oldest entry first")
    func bounded() {
        let clock = ManualDate()
        let cache = VerifiedTokenCache(capacity: 3, now: clock.now)
        let expires = clock.now().timeIntervalSince1970 + 60
        let keys = (0..<5).map { VerifiedTokenCache.key("token-\($0)") }
        for (index, key) in keys.enumerated() {
            cache.store(key, .init(claims: TokenClaims(subject: "s\(index)"), expires: expires, keysGeneration: 1))
        }
        #expect(cache.count == 3)
        #expect(cache.entry(keys[0]) == nil)
        #expect(cache.entry(keys[1]) == nil)
        #expect(cache.entry(keys[4])?.claims.subject == "s4")
        // Thousands of stores keep it at its bound.
        for index in 0..<5000 {
            cache.store(VerifiedTokenCache.key("many-\(index)"), .init(claims: TokenClaims(), expires: expires, keysGeneration: nil))
        }
        #expect(cache.count == 3)
        #expect(VerifiedTokenCache(capacity: 0, now: clock.now).count == 0)
    }

    @Test("the key is the SHA-256 of the token, so two tokens never share an entry and the token is not what is stored")
    func keyedByHash() {
        #expect(VerifiedTokenCache.key("a") != VerifiedTokenCache.key("b"))
        #expect(Array(VerifiedTokenCache.key("abc")).count == 32)
        // SHA-256("abc"), FIPS 180-2 appendix B.1.
        #expect(Hex.encode(VerifiedTokenCache.key("abc"))
                == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }
}

/// A clock the test moves by hand, for `TokenVerifier` and `VerifiedTokenCache`.
final class ManualDate: Sendable {
    private let time = Mutex(Date())

    var now: @Sendable () -> Date { { self.time.withLock { $0 } } }

    func advance(seconds: Double) {
        self.time.withLock { $0 = $0.addingTimeInterval(seconds) }
    }
}
