import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import OrcastraRuntime
import Synchronization
import _CryptoExtras

/// An OpenID provider reduced to what the API reads (discovery and JWKS) plus a signer that
/// can make any token, well-formed or hostile, for the tests of security rules 11–16.
///
/// Its URLs follow Authentik's layout (`/application/o/<slug>/…`, issuer with a trailing
/// slash). It counts JWKS fetches, can answer them with any status, and can rotate its key.
///
/// For opaque access tokens it also has a token introspection endpoint written from RFC 7662
/// (§2.1: a form POST of `token`, the caller authenticated as a client, here by
/// `client_secret_basic`; §2.2: a JSON object whose `active` says whether the token is live,
/// `{"active": false}` for anything unknown) and a userinfo endpoint written from OpenID
/// Connect Core §5.3 (the token as a bearer; 401 for a token it does not know). Tests register
/// each token's answer, and read how often each endpoint was asked.
final class TestIssuer: Sendable {
    static let slug = "test"
    static let audience = "orcastra-test"
    static let introspectionSecret = "introspection-secret-for-tests"

    struct Key: Sendable {
        let kid: String
        let rsa: _RSA.Signing.PrivateKey
    }

    private struct State {
        var keys: [Key]
        /// Publish the keys without their `kid`.
        var jwksWithoutKids = false
        var jwksStatus = 200
        var jwksFetches = 0
        var baseURL = ""
        /// Opaque token → the JSON object introspection answers for it.
        var opaque: [String: Data] = [:]
        var advertisesIntrospection = true
        var introspectionStatus = 200
        var introspectionDelay: Duration = .zero
        var introspections = 0
        var userinfoCalls = 0
    }

    private let state: Mutex<State>

    /// One RSA key per test process is enough (generating them is slow); rotation makes more.
    static let sharedKey = Key(kid: "key-1", rsa: try! _RSA.Signing.PrivateKey(keySize: .bits2048))
    /// A second, different key, for sets of two keys and for replacing the first.
    static let secondKey = try! _RSA.Signing.PrivateKey(keySize: .bits2048)

    init() {
        self.state = Mutex(State(keys: [Self.sharedKey]))
    }

    var issuer: String { self.state.withLock { $0.baseURL } + "/application/o/\(Self.slug)/" }
    var jwksFetches: Int { self.state.withLock { $0.jwksFetches } }
    var currentKey: Key { self.state.withLock { $0.keys[0] } }

    var introspections: Int { self.state.withLock { $0.introspections } }
    var userinfoCalls: Int { self.state.withLock { $0.userinfoCalls } }

    func setJWKSStatus(_ status: Int) { self.state.withLock { $0.jwksStatus = status } }

    /// Publishes only `key` from now on (the old key is removed, as after a rotation).
    func rotate(to key: Key) { self.state.withLock { $0.keys = [key] } }

    /// Publishes exactly `keys`, with or without their kids.
    func publish(_ keys: [Key], withKids: Bool = true) {
        self.state.withLock {
            $0.keys = keys
            $0.jwksWithoutKids = !withKids
        }
    }

    /// What introspection answers for `token` from now on (`active` and the claims, as given).
    func register(opaque token: String, answer: [String: any Sendable]) throws {
        let data = try JSONSerialization.data(withJSONObject: answer, options: [.sortedKeys])
        self.state.withLock { $0.opaque[token] = data }
    }

    func forget(opaque token: String) { _ = self.state.withLock { $0.opaque.removeValue(forKey: token) } }

    func setIntrospection(status: Int? = nil, delay: Duration? = nil, advertised: Bool? = nil) {
        self.state.withLock { state in
            if let status { state.introspectionStatus = status }
            if let delay { state.introspectionDelay = delay }
            if let advertised { state.advertisesIntrospection = advertised }
        }
    }

    /// An introspection answer for a live access token of `subject`, as Authentik gives one.
    func activeAnswer(subject: String = "opaque-user", groups: [String] = ["role_partner"], expires: Date = Date().addingTimeInterval(300)) -> [String: any Sendable] {
        var answer = self.claims(subject: subject, groups: groups)
        answer["exp"] = expires.timeIntervalSince1970
        answer["active"] = true
        answer["client_id"] = Self.audience
        answer["token_type"] = "access_token"
        return answer
    }

    func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.get("/application/o/\(Self.slug)/.well-known/openid-configuration") { _, _ in
            let base = self.state.withLock { $0.baseURL }
            var document: [String: String] = [
                "issuer": self.issuer,
                "authorization_endpoint": base + "/application/o/authorize/",
                "token_endpoint": base + "/application/o/token/",
                "userinfo_endpoint": base + "/application/o/userinfo/",
                "jwks_uri": base + "/application/o/\(Self.slug)/jwks/",
            ]
            if self.state.withLock({ $0.advertisesIntrospection }) {
                document["introspection_endpoint"] = base + "/application/o/introspect/"
            }
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: .init(bytes: try JSONEncoder().encode(document))))
        }
        router.get("/application/o/\(Self.slug)/jwks/") { _, _ in
            let (status, keys, withoutKids) = self.state.withLock { state -> (Int, [Key], Bool) in
                state.jwksFetches += 1
                return (state.jwksStatus, state.keys, state.jwksWithoutKids)
            }
            guard status == 200 else { return Response(status: .init(code: status), body: .init(byteBuffer: .init(string: "unavailable"))) }
            let jwks = ["keys": try keys.map { try Self.jwk($0, withKid: !withoutKids) }]
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: .init(bytes: try JSONEncoder().encode(jwks))))
        }
        router.post("/application/o/introspect/") { request, _ in
            let body = try await request.body.collect(upTo: 64 * 1024)
            let form = Self.form(String(buffer: body))
            let (status, delay) = self.state.withLock { state in
                state.introspections += 1
                return (state.introspectionStatus, state.introspectionDelay)
            }
            if delay > .zero { try await Task.sleep(for: delay) }
            guard status == 200 else { return Response(status: .init(code: status), body: .init(byteBuffer: .init(string: "unavailable"))) }
            let expected = "Basic " + Data("\(Self.audience):\(Self.introspectionSecret)".utf8).base64EncodedString()
            guard request.headers[.authorization] == expected else {
                return Self.json(#"{"error":"invalid_client"}"#, status: .unauthorized)
            }
            let answer = form["token"].flatMap { token in self.state.withLock { $0.opaque[token] } }
            return Self.json(answer.map { String(decoding: $0, as: UTF8.self) } ?? #"{"active":false}"#)
        }
        router.get("/application/o/userinfo/") { request, _ in
            self.state.withLock { $0.userinfoCalls += 1 }
            let header = request.headers[.authorization] ?? ""
            guard header.hasPrefix("Bearer "), let data = self.state.withLock({ $0.opaque[String(header.dropFirst(7))] }),
                  var answer = try JSONSerialization.jsonObject(with: data) as? [String: Any], answer["active"] as? Bool == true else {
                return Self.json(#"{"error":"invalid_token"}"#, status: .unauthorized)
            }
            // Userinfo carries the user's claims only, never the token's own.
            for claim in ["active", "exp", "iat", "nbf", "aud", "client_id", "token_type", "azp", "uid"] { answer[claim] = nil }
            return Self.json(String(decoding: try JSONSerialization.data(withJSONObject: answer), as: UTF8.self))
        }
        return router
    }

    static func json(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: .init(string: text)))
    }

    /// `application/x-www-form-urlencoded`, decoded here independently of the API's encoder.
    static func form(_ text: String) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map { String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? "" }
            if parts.count == 2 { fields[parts[0]] = parts[1] }
        }
        return fields
    }

    static func jwk(_ key: Key, withKid: Bool = true) throws -> [String: String] {
        let primitives = try key.rsa.publicKey.getKeyPrimitives()
        var jwk = ["kty": "RSA", "alg": "RS256", "use": "sig", "kid": key.kid,
                   "n": Base64URL.encode(primitives.modulus), "e": Base64URL.encode(primitives.publicExponent)]
        if !withKid { jwk["kid"] = nil }
        return jwk
    }

    /// Runs the issuer on a free loopback port for the duration of `body`.
    static func run(_ body: @Sendable (TestIssuer) async throws -> Void) async throws {
        let issuer = TestIssuer()
        let app = Application(router: issuer.router(), configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            issuer.state.withLock { $0.baseURL = "http://127.0.0.1:\(client.port!)" }
            try await body(issuer)
        }
    }

    // MARK: tokens

    /// Claims of a token the API should accept, for `subject` with `groups`.
    func claims(subject: String = "user-1", groups: [String] = ["role_tenant"], lifetime: TimeInterval = 300) -> [String: any Sendable] {
        let now = Date().timeIntervalSince1970
        return ["iss": self.issuer, "sub": subject, "aud": Self.audience, "exp": now + lifetime, "iat": now,
                "name": "User \(subject)", "email": "\(subject)@example.test", "groups": groups,
                "azp": Self.audience, "uid": "uid-\(subject)"]
    }

    /// A token signed RS256 with `key` (the current one by default); `header` entries are
    /// added to or replace the default header.
    func token(_ claims: [String: any Sendable], key: Key? = nil, header: [String: any Sendable] = [:], withKid: Bool = true) throws -> String {
        let key = key ?? self.currentKey
        var fullHeader: [String: any Sendable] = ["alg": "RS256", "typ": "JWT", "kid": key.kid]
        fullHeader.merge(header) { $1 }
        if !withKid { fullHeader["kid"] = nil }
        let input = try Self.part(fullHeader) + "." + Self.part(claims)
        let signature = try key.rsa.signature(for: SHA256.hash(data: Data(input.utf8)), padding: .insecurePKCS1v1_5)
        return input + "." + Base64URL.encode(signature.rawRepresentation)
    }

    /// A token with any header and an HMAC-SHA256 signature under `secret` (for the HS256
    /// confusion attacks).
    static func hmacToken(header: [String: any Sendable], claims: [String: any Sendable], secret: Data) throws -> String {
        let input = try Self.part(header) + "." + Self.part(claims)
        let mac = HMAC<SHA256>.authenticationCode(for: Data(input.utf8), using: SymmetricKey(data: secret))
        return input + "." + Base64URL.encode(Data(mac))
    }

    /// `alg: none`, no signature.
    static func unsignedToken(claims: [String: any Sendable], kid: String) throws -> String {
        try Self.part(["alg": "none", "typ": "JWT", "kid": kid]) + "." + Self.part(claims) + "."
    }

    static func part(_ object: [String: any Sendable]) throws -> String {
        Base64URL.encode(try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]))
    }
}
