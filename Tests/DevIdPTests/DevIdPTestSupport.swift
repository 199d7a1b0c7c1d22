import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import JWTKit
import OrcastraRuntime
import OrcastraTestSupport
import Synchronization
import Testing

@testable import OrcastraDevIdP

/// The registered client and seed users every test starts from.
enum Fixture {
    static let clientID = "orcastra"
    /// Characters that must be form-urlencoded inside a Basic header (RFC 6749 §2.3.1).
    static let clientSecret = "s3cret:with+odd/chars%"
    static let redirectURI = "http://localhost:4321/api/auth/callback/authentik"
    static let postLogoutURI = "http://localhost:4321/signed-out"
    static let apiToken = "api-token-for-tests"
    static let publicURL = "http://localhost:9000"
    static let issuer = "http://localhost:9000/application/o/orcastra/"

    static let users = [
        SeedUser(username: "alice", password: "alice-pw", name: "Alice Admin", email: "alice@example.test", groups: ["role_admin", "orcastra-admins"]),
        SeedUser(username: "bob", password: "bob-pw", name: "Bob Partner", email: "bob@example.test", groups: ["role_partner"]),
        SeedUser(username: "carol", password: "carol-pw", name: "Carol Tenant", email: "carol@example.test", groups: ["role_tenant", "role_partner"]),
    ]

    static func config(testControls: Bool = false, apiToken: String? = Fixture.apiToken, codeTTL: Duration = .seconds(60)) -> DevIdPConfig {
        var service = ServiceConfig(serviceName: "orcastra-devidp", version: "test")
        service.httpPort = 0
        return DevIdPConfig(
            client: OIDCClient(
                clientID: Self.clientID, clientSecret: Self.clientSecret,
                redirectURIs: [Self.redirectURI], postLogoutRedirectURIs: [Self.postLogoutURI]
            ),
            users: Self.users,
            service: service,
            publicURL: Self.publicURL,
            apiToken: apiToken,
            accessTokenTTL: .seconds(300),
            refreshTokenTTL: .seconds(3600),
            codeTTL: codeTTL,
            testControls: testControls
        )
    }

    /// A fixed PKCE pair; the challenge was computed outside Swift
    /// (`base64.urlsafe_b64encode(hashlib.sha256(verifier).digest())` without padding).
    static let verifier = "dBjftJeZ4CVP-mJ92K5Ew8RTk1RGrs1v1A0hvb96Dg8"
    static let challenge = "2HVzx4xKi-diIQmTsoZnGeiN-HqoSmZ2EVR_zfLr8Dg"
}

/// A clock the test moves by hand.
final class ManualClock: Sendable {
    private let time = Mutex(Date())

    var clock: DevIdPClock { DevIdPClock { self.time.withLock { $0 } } }

    func advance(seconds: Double) {
        self.time.withLock { $0 = $0.addingTimeInterval(seconds) }
    }
}

/// One RSA key for the whole test run: generating 2048-bit keys is the slowest thing a
/// provider does, and most tests do not care which key signs. Each test still gets a ring
/// of its own, so a rotation in one test does not reach another.
let sharedSigningKey: SigningKey = try! SigningKey.generate()

/// Runs `body` against an in-process provider (router test framework, or `.live` on a port).
func withDevIdP<R: Sendable>(
    _ config: DevIdPConfig = Fixture.config(), clock: ManualClock = ManualClock(), mode: TestingSetup = .router,
    _ body: @Sendable (any TestClientProtocol) async throws -> R
) async throws -> R {
    let app = try buildApplication(config: config, sink: LogSink(.memory), keys: KeyRing(key: sharedSigningKey), clock: clock.clock)
    return try await app.test(mode) { client in try await body(client) }
}

/// The parameters of one authorization request.
struct AuthorizeParameters {
    var clientID = Fixture.clientID
    var redirectURI = Fixture.redirectURI
    var scope = "openid email profile offline_access"
    var state = "state-123"
    var nonce: String? = "nonce-456"
    var challenge: String? = Fixture.challenge
    var challengeMethod: String? = "S256"

    var fields: [(String, String)] {
        var fields = [("response_type", "code"), ("client_id", self.clientID), ("redirect_uri", self.redirectURI),
                      ("scope", self.scope), ("state", self.state)]
        if let nonce = self.nonce { fields.append(("nonce", nonce)) }
        if let challenge = self.challenge { fields.append(("code_challenge", challenge)) }
        if let method = self.challengeMethod { fields.append(("code_challenge_method", method)) }
        return fields
    }

    var query: String { Form.encode(self.fields) }
}

/// Form encoding for requests, written independently of the provider's own decoder.
enum Form {
    static func encode(_ fields: [(String, String)]) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return fields.map { name, value in
            "\(name)=\(value.addingPercentEncoding(withAllowedCharacters: allowed)!)"
        }.joined(separator: "&")
    }

    static let headers: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]

    static func basic(_ id: String, _ secret: String) -> String {
        let pair = "\(Form.encode([("x", id)]).dropFirst(2)):\(Form.encode([("x", secret)]).dropFirst(2))"
        return "Basic " + Data(pair.utf8).base64EncodedString()
    }
}

extension TestClientProtocol {
    func get(_ uri: String, headers: HTTPFields = [:]) async throws -> TestResponse {
        try await self.executeRequest(uri: uri, method: .get, headers: headers, body: nil)
    }

    func postForm(_ uri: String, _ fields: [(String, String)], headers: HTTPFields = [:]) async throws -> TestResponse {
        var all = Form.headers
        all.append(contentsOf: headers)
        return try await self.executeRequest(uri: uri, method: .post, headers: all, body: ByteBuffer(string: Form.encode(fields)))
    }

    func postJSON(_ uri: String, _ json: String) async throws -> TestResponse {
        try await self.executeRequest(uri: uri, method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(string: json))
    }

    /// Submits the sign-in form; returns the response (302 on success).
    func signIn(_ username: String, _ password: String, _ parameters: AuthorizeParameters = AuthorizeParameters()) async throws -> TestResponse {
        try await self.postForm("/application/o/authorize/", parameters.fields + [("username", username), ("password", password)])
    }

    /// Signs in and returns the code from the redirect.
    func code(_ username: String = "alice", _ password: String = "alice-pw", _ parameters: AuthorizeParameters = AuthorizeParameters()) async throws -> String {
        let response = try await self.signIn(username, password, parameters)
        #expect(response.status == .found)
        let location = try #require(response.headers[.location])
        return try #require(URLComponents(string: location)?.queryItems?.first { $0.name == "code" }?.value)
    }

    /// Exchanges a code, authenticating with client_secret_basic.
    func exchange(_ code: String, verifier: String? = Fixture.verifier, redirectURI: String = Fixture.redirectURI) async throws -> TestResponse {
        var fields = [("grant_type", "authorization_code"), ("code", code), ("redirect_uri", redirectURI)]
        if let verifier { fields.append(("code_verifier", verifier)) }
        return try await self.postForm("/application/o/token/", fields, headers: [.authorization: Form.basic(Fixture.clientID, Fixture.clientSecret)])
    }

    func refresh(_ token: String) async throws -> TestResponse {
        try await self.postForm("/application/o/token/", [("grant_type", "refresh_token"), ("refresh_token", token)],
                                headers: [.authorization: Form.basic(Fixture.clientID, Fixture.clientSecret)])
    }

    /// Signs in as `username` and returns the token response.
    func tokens(_ username: String = "alice", _ password: String = "alice-pw", _ parameters: AuthorizeParameters = AuthorizeParameters()) async throws -> TokenSet {
        let response = try await self.exchange(try await self.code(username, password, parameters))
        #expect(response.status == .ok)
        return try JSONDecoder().decode(TokenSet.self, from: Data(response.body.readableBytesView))
    }

    /// The published JWKS as jwt-kit keys, exactly as a relying party would load them.
    func publishedKeys() async throws -> JWTKeyCollection {
        let response = try await self.get("/application/o/orcastra/jwks/")
        #expect(response.status == .ok)
        let keys = JWTKeyCollection()
        try await keys.add(jwksJSON: String(buffer: response.body))
        return keys
    }
}

/// The token endpoint's answer, decoded independently of the provider's types.
struct TokenSet: Decodable {
    var access_token: String
    var token_type: String
    var scope: String
    var expires_in: Int
    var id_token: String
    var refresh_token: String?
}

/// The OAuth error body.
struct OAuthErrorBody: Decodable, Equatable {
    var error: String
    var error_description: String?
}

extension TestResponse {
    var oauthError: String? { (try? JSONDecoder().decode(OAuthErrorBody.self, from: Data(self.body.readableBytesView)))?.error }
    var json: JSONValue? { try? JSONValue.parse(String(buffer: self.body)) }
    var text: String { String(buffer: self.body) }
}

/// A JWT's header and payload as raw JSON, to check the types of claims (aud a string).
struct DecodedJWT {
    var header: JSONValue
    var payload: JSONValue

    init(_ token: String) throws {
        let parts = token.split(separator: ".").map(String.init)
        try #require(parts.count == 3)
        func json(_ part: String) throws -> JSONValue {
            var base64 = part.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
            while base64.count % 4 != 0 { base64 += "=" }
            return try JSONValue.parse(String(decoding: try #require(Data(base64Encoded: base64)), as: UTF8.self))
        }
        self.header = try json(parts[0])
        self.payload = try json(parts[1])
    }
}

/// A permissive payload for jwt-kit verification in tests; claims are checked separately.
struct AnyClaims: JWTPayload {
    var sub: String
    var aud: String
    var exp: Int
    func verify(using algorithm: some JWTAlgorithm) async throws {}
}

/// Query item `name` of a Location header.
func queryItem(_ name: String, of location: String?) -> String? {
    location.flatMap { URLComponents(string: $0)?.queryItems?.first { $0.name == name }?.value }
}
