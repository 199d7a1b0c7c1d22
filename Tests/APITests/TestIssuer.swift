import Crypto
import Foundation
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
final class TestIssuer: Sendable {
    static let slug = "test"
    static let audience = "orcastra-test"

    struct Key: Sendable {
        let kid: String
        let rsa: _RSA.Signing.PrivateKey
    }

    private struct State {
        var keys: [Key]
        var jwksStatus = 200
        var jwksFetches = 0
        var baseURL = ""
    }

    private let state: Mutex<State>

    /// One RSA key per test process is enough (generating them is slow); rotation makes more.
    static let sharedKey = Key(kid: "key-1", rsa: try! _RSA.Signing.PrivateKey(keySize: .bits2048))

    init() {
        self.state = Mutex(State(keys: [Self.sharedKey]))
    }

    var issuer: String { self.state.withLock { $0.baseURL } + "/application/o/\(Self.slug)/" }
    var jwksFetches: Int { self.state.withLock { $0.jwksFetches } }
    var currentKey: Key { self.state.withLock { $0.keys[0] } }

    func setJWKSStatus(_ status: Int) { self.state.withLock { $0.jwksStatus = status } }

    /// Publishes only `key` from now on (the old key is removed, as after a rotation).
    func rotate(to key: Key) { self.state.withLock { $0.keys = [key] } }

    func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.get("/application/o/\(Self.slug)/.well-known/openid-configuration") { _, _ in
            let base = self.state.withLock { $0.baseURL }
            let document: [String: String] = [
                "issuer": self.issuer,
                "authorization_endpoint": base + "/application/o/authorize/",
                "token_endpoint": base + "/application/o/token/",
                "jwks_uri": base + "/application/o/\(Self.slug)/jwks/",
            ]
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: .init(bytes: try JSONEncoder().encode(document))))
        }
        router.get("/application/o/\(Self.slug)/jwks/") { _, _ in
            let (status, keys) = self.state.withLock { state -> (Int, [Key]) in
                state.jwksFetches += 1
                return (state.jwksStatus, state.keys)
            }
            guard status == 200 else { return Response(status: .init(code: status), body: .init(byteBuffer: .init(string: "unavailable"))) }
            let jwks = ["keys": try keys.map { try Self.jwk($0) }]
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: .init(bytes: try JSONEncoder().encode(jwks))))
        }
        return router
    }

    static func jwk(_ key: Key) throws -> [String: String] {
        let primitives = try key.rsa.publicKey.getKeyPrimitives()
        return ["kty": "RSA", "alg": "RS256", "use": "sig", "kid": key.kid,
                "n": Base64URL.encode(primitives.modulus), "e": Base64URL.encode(primitives.publicExponent)]
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
    func token(_ claims: [String: any Sendable], key: Key? = nil, header: [String: any Sendable] = [:]) throws -> String {
        let key = key ?? self.currentKey
        var fullHeader: [String: any Sendable] = ["alg": "RS256", "typ": "JWT", "kid": key.kid]
        fullHeader.merge(header) { $1 }
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
