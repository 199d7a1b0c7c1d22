import AsyncHTTPClient
import Foundation
import OrcastraRuntime

/// Decides what a bearer token (other than an `orc_` API key) is worth: a JWT is verified here
/// (`TokenVerifier`, security rules 11–16), anything else is an opaque token the provider is
/// asked about (`OpaqueTokenChecker`), and either result is reused from `VerifiedTokenCache`
/// while it lasts.
struct BearerVerifier: Sendable {
    let jwt: TokenVerifier
    /// nil: opaque tokens are refused (no way to check them is configured).
    let opaque: OpaqueTokenChecker?
    let cache: VerifiedTokenCache

    init(jwt: TokenVerifier, opaque: OpaqueTokenChecker? = nil, cache: VerifiedTokenCache) {
        self.jwt = jwt
        self.opaque = opaque
        self.cache = cache
    }

    /// The API's verifier for `settings`, with the provider reached through `http`.
    init(jwt: TokenVerifier, settings: AuthSettings, http: HTTPClient) {
        let cache = VerifiedTokenCache(capacity: settings.tokenCacheEntries, now: jwt.now)
        self.init(
            jwt: jwt,
            opaque: settings.opaque.map { opaque in
                OpaqueTokenChecker(settings: opaque, issuer: jwt.policy.issuer, audience: jwt.policy.audience, leeway: jwt.policy.leeway,
                                   http: http, cache: cache, metadataMaxAge: settings.jwks.maxAge)
            },
            cache: cache)
    }

    /// The token's claims, or why it is refused. The size cap comes first, before the token is
    /// hashed, decoded or sent anywhere.
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
        guard TokenVerifier.isCompactJWS(token) else {
            guard let opaque = self.opaque else {
                throw TokenRejection("not a compact JWS; opaque tokens are not checked (OIDC_INTROSPECTION_CLIENT_SECRET and OPAQUE_TOKEN_USERINFO are unset)")
            }
            return try await opaque.check(token, key: key)
        }
        let verified = try await self.jwt.verified(token)
        if let expires = verified.claims.expires {
            self.cache.store(key, .init(claims: verified.claims, expires: expires, keysGeneration: verified.keysGeneration))
        }
        return verified.claims
    }
}
