import AsyncHTTPClient
import Foundation
import NIOCore
import OrcastraRuntime

/// The gateway's side of OpenID Connect (authorization code + PKCE S256): builds the
/// authorization request, exchanges the code, refreshes, checks ID tokens, finds end-session.
///
/// The provider's endpoints come from discovery, fetched on first use and kept; its keys from
/// the same `JWKSCache` the API uses, and ID tokens are checked by the same `TokenVerifier`, so
/// one without `kid` passes only with the single published key for its algorithm (rule 11).
/// The access token is never read here: JWT or opaque, only the API checks it.
struct RelyingParty: Sendable {
    let settings: GatewayAuthSettings
    let http: HTTPClient
    /// `<NEXTAUTH_URL>/api/auth/callback/authentik`, the path existing providers have registered.
    let redirectURI: String
    let metadata: MetadataCache
    let idTokens: TokenVerifier

    static let callbackPath = "/api/auth/callback/authentik"
    static let scopes = "openid profile email offline_access"

    init(settings: GatewayAuthSettings, http: HTTPClient, publicURL: String) {
        self.settings = settings
        self.http = http
        self.redirectURI = publicURL + Self.callbackPath
        self.metadata = MetadataCache(issuer: settings.issuer, http: http)
        self.idTokens = TokenVerifier(
            policy: .init(issuer: settings.issuer, audience: settings.clientID, algorithms: settings.algorithms, refusesIDTokens: false),
            keys: .discovering(issuer: settings.issuer, http: http, policy: .init(refetchCooldown: .seconds(10)))
        )
    }

    /// Where to send the browser to sign in.
    func authorizationURL(for login: LoginState) async throws(OIDCError) -> String {
        let endpoint = try await self.metadata.get().authorizationEndpoint
        let query = FormEncoding.encode([
            ("response_type", "code"), ("client_id", self.settings.clientID), ("redirect_uri", self.redirectURI),
            ("scope", Self.scopes), ("state", login.state), ("nonce", login.nonce),
            ("code_challenge", login.challenge), ("code_challenge_method", "S256"),
        ])
        return endpoint + (endpoint.contains("?") ? "&" : "?") + query
    }

    func exchange(code: String, verifier: String) async throws(TokenEndpointError) -> TokenResponse {
        try await self.token([("grant_type", "authorization_code"), ("code", code), ("redirect_uri", self.redirectURI), ("code_verifier", verifier)])
    }

    func refresh(_ refreshToken: String) async throws(TokenEndpointError) -> TokenResponse {
        try await self.token([("grant_type", "refresh_token"), ("refresh_token", refreshToken)])
    }

    /// An ID token from the token endpoint, checked like any token and bound to our nonce.
    func verifyIDToken(_ token: String, nonce: String?) async throws(TokenRejection) -> TokenClaims {
        let claims = try await self.idTokens.verify(token)
        if let nonce, claims.nonce != nonce { throw TokenRejection("ID token nonce does not match this sign-in") }
        return claims
    }

    /// The provider's end-session URL with `client_id` and where to come back to.
    ///
    /// RP-Initiated Logout 1.0 (§2) lets `client_id` stand in for `id_token_hint` next to
    /// `post_logout_redirect_uri`, and discovery has no field saying which a provider wants,
    /// so the gateway always sends `client_id`: the ID token, a signed record of who the user is,
    /// then never travels in a URL, where browser history, proxies and the provider's access log
    /// would keep it. Authentik and the development provider both accept it. A provider that
    /// insisted on `id_token_hint` would show its own signed-out page instead of sending the
    /// browser back; that, not leaking the token, is the fallback (Services/README.md, rule 8).
    func endSessionURL(returnTo: String) async -> String? {
        let endpoint: String?
        if let configured = self.settings.logoutURL { endpoint = configured } else { endpoint = try? await self.metadata.get().endSessionEndpoint }
        guard let endpoint else { return nil }
        let query = FormEncoding.encode([("client_id", self.settings.clientID), ("post_logout_redirect_uri", returnTo)])
        return endpoint + (endpoint.contains("?") ? "&" : "?") + query
    }

    /// POSTs a grant with `client_secret_basic` (RFC 6749 §2.3.1: id and secret form-encoded first).
    func token(_ parameters: [(String, String)]) async throws(TokenEndpointError) -> TokenResponse {
        do {
            let endpoint = try await self.metadata.get().tokenEndpoint
            var request = HTTPClientRequest(url: endpoint)
            request.method = .POST
            let basic = FormEncoding.escape(self.settings.clientID) + ":" + FormEncoding.escape(self.settings.clientSecret)
            request.headers.add(name: "Authorization", value: "Basic " + Data(basic.utf8).base64EncodedString())
            request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
            request.headers.add(name: "Accept", value: "application/json")
            request.body = .bytes(ByteBuffer(string: FormEncoding.encode(parameters)))
            let response = try await self.http.execute(request, timeout: .seconds(10))
            let body = try await response.body.collect(upTo: 1 << 20)
            if response.status == .ok {
                return try JSONDecoder().decode(TokenResponse.self, from: Data(buffer: body))
            }
            let error = try? JSONDecoder().decode(TokenErrorBody.self, from: Data(buffer: body))
            if error?.error == "invalid_grant" { throw TokenEndpointError.invalidGrant }
            throw TokenEndpointError.failed("token endpoint answered \(response.status.code) \(error?.error ?? "")")
        } catch let error as TokenEndpointError {
            throw error
        } catch {
            throw TokenEndpointError.failed("token endpoint: \(error)")
        }
    }
}

/// The token endpoint's success answer (RFC 6749 §5.1, OpenID Connect Core §3.1.3.3).
struct TokenResponse: Decodable, Sendable {
    var accessToken: String
    var tokenType: String?
    var expiresIn: Int?
    var refreshToken: String?
    var idToken: String?

    enum CodingKeys: String, CodingKey {
        case accessToken = "access_token", tokenType = "token_type", expiresIn = "expires_in"
        case refreshToken = "refresh_token", idToken = "id_token"
    }
}

struct TokenErrorBody: Decodable {
    var error: String
}

enum TokenEndpointError: Error, CustomStringConvertible {
    /// The code or refresh token is no longer good: the session cannot go on.
    case invalidGrant
    case failed(String)

    var description: String {
        switch self {
        case .invalidGrant: "invalid_grant"
        case .failed(let why): why
        }
    }
}

/// The provider's discovery document, fetched once it is first needed and kept.
actor MetadataCache {
    let issuer: String
    let http: HTTPClient
    private var cached: ProviderMetadata?

    init(issuer: String, http: HTTPClient) {
        self.issuer = issuer
        self.http = http
    }

    func get() async throws(OIDCError) -> ProviderMetadata {
        if let cached = self.cached { return cached }
        let fetched = try await ProviderMetadata.fetch(issuer: self.issuer, http: self.http)
        self.cached = fetched
        return fetched
    }
}

/// `application/x-www-form-urlencoded` (the WHATWG URL standard's byte set).
enum FormEncoding {
    static let unreserved = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._*")

    static func escape(_ value: String) -> String {
        value.addingPercentEncoding(withAllowedCharacters: Self.unreserved)?.replacingOccurrences(of: "%20", with: "+") ?? ""
    }

    static func encode(_ pairs: [(String, String)]) -> String {
        pairs.map { Self.escape($0.0) + "=" + Self.escape($0.1) }.joined(separator: "&")
    }
}
