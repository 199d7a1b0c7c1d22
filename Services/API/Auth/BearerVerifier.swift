import AsyncHTTPClient
import Foundation
import OrcastraRuntime

/// Decides what a bearer JWT (other than an `orc_` API key) is worth: it is verified here
/// (`TokenVerifier`, security rules 11–16), and the result is reused from `VerifiedTokenCache`
/// while it lasts.
struct BearerVerifier: Sendable {
    let jwt: TokenVerifier
    let cache: VerifiedTokenCache

    init(jwt: TokenVerifier, cache: VerifiedTokenCache) {
        self.jwt = jwt
        self.cache = cache
    }

    /// The API's verifier for `settings`.
    init(jwt: TokenVerifier, settings: AuthSettings, http: HTTPClient) {
        self.init(jwt: jwt, cache: VerifiedTokenCache(capacity: settings.tokenCacheEntries, now: jwt.now))
    }

    /// The token's claims, or why it is refused. The size cap comes first, before the token is
    /// hashed or decoded.
    func verify(_ token: String) async throws(TokenRejection) -> TokenClaims {
        guard token.utf8.count <= self.jwt.policy.maxTokenBytes else { throw TokenRejection("token larger than \(self.jwt.policy.maxTokenBytes) bytes") }
        let key = VerifiedTokenCache.key(token)
        if let hit = self.cache.entry(key) {
            // A JWT's entry holds only while the key set that verified it is current and young;
            // otherwise the token is verified again, which refreshes the set when it is due.
            guard let generation = hit.keysGeneration else { return hit.claims }
            if self.jwt.keys.isCurrent(generation: generation) { return hit.claims }
            self.cache.remove(key)
        }
        let verified = try await self.jwt.verified(token)
        if let expires = verified.claims.expires {
            self.cache.store(key, .init(claims: verified.claims, expires: expires, keysGeneration: verified.keysGeneration))
        }
        return verified.claims
    }
}
