import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import OrcastraRuntime
import Synchronization

/// Asks the provider about an opaque access token (see `OpaqueTokenSettings` for which way) and
/// keeps the answer in the `VerifiedTokenCache`.
///
/// - Identical tokens checked at the same time share one call: the first starts it, the others
///   wait for its answer.
/// - At most `maxInFlight` different tokens are checked at once; beyond that a token is refused
///   without a call.
/// - Only a yes is cached: until the answer's `exp` (introspection) or for
///   `OPAQUE_TOKEN_CACHE_SECONDS` (userinfo). A no, a failed call or a provider that cannot be
///   reached is a refusal that is not remembered, so the next request asks again, and nothing
///   is ever accepted on an old answer once its entry has ended.
/// - The token goes only to the provider, in a POST body (introspection) or an `Authorization`
///   header (userinfo); refusal reasons name endpoints and statuses, never the token or secret.
final class OpaqueTokenChecker: Sendable {
    let settings: OpaqueTokenSettings
    let issuer: String
    let audience: String
    let leeway: Duration
    let http: HTTPClient
    let cache: VerifiedTokenCache
    /// How long a fetched discovery document is used before it is fetched again.
    let metadataMaxAge: Duration
    private let inFlight = Mutex<[SHA256.Digest: Task<Result<TokenClaims, TokenRejection>, Never>]>([:])
    private let metadata = Mutex<(document: ProviderMetadata, fetchedAt: ContinuousClock.Instant)?>(nil)
    private let calls = Atomic<Int>(0)

    init(settings: OpaqueTokenSettings, issuer: String, audience: String, leeway: Duration, http: HTTPClient, cache: VerifiedTokenCache,
         metadataMaxAge: Duration = .seconds(3600)) {
        self.settings = settings
        self.issuer = issuer
        self.audience = audience
        self.leeway = leeway
        self.http = http
        self.cache = cache
        self.metadataMaxAge = metadataMaxAge
    }

    /// Calls made to the provider's introspection or userinfo endpoint so far.
    var providerCalls: Int { self.calls.load(ordering: .relaxed) }

    /// The claims of `token` (whose cache key is `key`), from the provider; the cache has
    /// already been asked by the caller.
    func check(_ token: String, key: SHA256.Digest) async throws(TokenRejection) -> TokenClaims {
        guard Self.isBearerToken(token) else { throw TokenRejection("not a compact JWS, and not a well-formed opaque token") }
        let task = self.inFlight.withLock { running -> Task<Result<TokenClaims, TokenRejection>, Never>? in
            if let shared = running[key] { return shared }
            guard running.count < self.settings.maxInFlight else { return nil }
            let task = Task { await self.ask(token, key: key) }
            running[key] = task
            return task
        }
        guard let task else { throw TokenRejection("\(self.settings.maxInFlight) opaque tokens are already being checked at the provider") }
        return try await task.value.get()
    }

    /// One check at the provider; the answer is cached before the in-flight entry goes, so a
    /// request arriving in between finds one or the other.
    private func ask(_ token: String, key: SHA256.Digest) async -> Result<TokenClaims, TokenRejection> {
        let result: Result<TokenClaims, TokenRejection>
        do throws(TokenRejection) {
            let (claims, expires) = try await self.vouch(token)
            self.cache.store(key, .init(claims: claims, expires: expires, keysGeneration: nil))
            result = .success(claims)
        } catch {
            result = .failure(error)
        }
        _ = self.inFlight.withLock { $0.removeValue(forKey: key) }
        return result
    }

    /// The claims and until when they may be reused.
    private func vouch(_ token: String) async throws(TokenRejection) -> (TokenClaims, Double) {
        let metadata: ProviderMetadata
        do {
            metadata = try await self.providerMetadata()
        } catch {
            throw TokenRejection("the provider's discovery document is unavailable: \(error)")
        }
        let now = self.cache.now()
        if let endpoint = metadata.introspectionEndpoint, let secret = self.settings.clientSecret {
            let answer = try await self.introspect(token, at: endpoint, secret: secret)
            let claims = try answer.accepted(from: .introspection, issuer: self.issuer, audience: self.audience, leeway: self.leeway, now: now)
            return (claims, claims.expires ?? 0)
        }
        if self.settings.userinfo, let endpoint = metadata.userinfoEndpoint {
            let answer = try await self.userinfo(token, at: endpoint)
            let claims = try answer.accepted(from: .userinfo, issuer: self.issuer, audience: self.audience, leeway: self.leeway, now: now)
            let ttl = now.timeIntervalSince1970 + Double(self.settings.userinfoCacheTTL.components.seconds)
            return (claims, min(ttl, claims.expires ?? ttl))
        }
        throw TokenRejection(self.settings.clientSecret == nil
            ? "an opaque token, and OIDC_INTROSPECTION_CLIENT_SECRET is not set while the provider advertises no usable userinfo endpoint"
            : "an opaque token, and the provider advertises no introspection_endpoint (set OPAQUE_TOKEN_USERINFO=true to ask userinfo)")
    }

    /// RFC 7662 §2.1 with `client_secret_basic` (RFC 6749 §2.3.1: id and secret form-encoded first).
    private func introspect(_ token: String, at endpoint: String, secret: String) async throws(TokenRejection) -> ProviderTokenAnswer {
        var request = HTTPClientRequest(url: endpoint)
        request.method = .POST
        let basic = Self.formEscape(self.settings.clientID) + ":" + Self.formEscape(secret)
        request.headers.add(name: "Authorization", value: "Basic " + Data(basic.utf8).base64EncodedString())
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        request.headers.add(name: "Accept", value: "application/json")
        request.body = .bytes(ByteBuffer(string: "token=" + Self.formEscape(token) + "&token_type_hint=access_token"))
        return try await self.send(request, to: "introspection", refusedMeansInactive: false)
    }

    /// OpenID Connect Core §5.3 with the token as the bearer.
    private func userinfo(_ token: String, at endpoint: String) async throws(TokenRejection) -> ProviderTokenAnswer {
        var request = HTTPClientRequest(url: endpoint)
        request.headers.add(name: "Authorization", value: "Bearer " + token)
        request.headers.add(name: "Accept", value: "application/json")
        return try await self.send(request, to: "userinfo", refusedMeansInactive: true)
    }

    /// Sends one request and reads a JSON answer. At userinfo a 401 is the provider's "no" to
    /// the token; at introspection it is a refusal of our client credentials.
    private func send(_ request: HTTPClientRequest, to name: String, refusedMeansInactive: Bool) async throws(TokenRejection) -> ProviderTokenAnswer {
        self.calls.add(1, ordering: .relaxed)
        let status: UInt
        let body: ByteBuffer
        do {
            let response = try await self.http.execute(request, timeout: .seconds(self.settings.timeout.components.seconds))
            status = response.status.code
            body = try await response.body.collect(upTo: 64 * 1024)
        } catch {
            throw TokenRejection("the provider's \(name) endpoint could not be reached: \(error)")
        }
        if refusedMeansInactive, status == 401 || status == 403 { throw TokenRejection("the provider's \(name) endpoint refused the token (\(status))") }
        guard status == 200 else { throw TokenRejection("the provider's \(name) endpoint answered \(status)") }
        do {
            return try JSONDecoder().decode(ProviderTokenAnswer.self, from: Data(buffer: body))
        } catch {
            throw TokenRejection("the provider's \(name) answer is not the JSON expected")
        }
    }

    /// The discovery document, fetched again after `metadataMaxAge` (a failure is not kept, so
    /// the next check tries again).
    private func providerMetadata() async throws(OIDCError) -> ProviderMetadata {
        if let held = self.metadata.withLock({ $0 }), ContinuousClock.now - held.fetchedAt < self.metadataMaxAge {
            return held.document
        }
        let document = try await ProviderMetadata.fetch(issuer: self.issuer, http: self.http)
        self.metadata.withLock { $0 = (document, ContinuousClock.now) }
        return document
    }

    /// RFC 6750 §2.1's `b64token`: what may follow `Bearer `, and all an opaque token needs; it
    /// keeps anything else (spaces, control characters, huge strings) from reaching the provider.
    static func isBearerToken(_ token: String) -> Bool {
        guard !token.isEmpty, token.utf8.count <= 4096 else { return false }
        var sawPadding = false
        for byte in token.utf8 {
            switch byte {
            case UInt8(ascii: "="): sawPadding = true
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"), UInt8(ascii: "+"), UInt8(ascii: "/"):
                if sawPadding { return false }
            default: return false
            }
        }
        return true
    }

    /// `application/x-www-form-urlencoded` of one value.
    static func formEscape(_ value: String) -> String {
        let unreserved = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._*")
        return value.addingPercentEncoding(withAllowedCharacters: unreserved)?.replacingOccurrences(of: "%20", with: "+") ?? ""
    }
}
