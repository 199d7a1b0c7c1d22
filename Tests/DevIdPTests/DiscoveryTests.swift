import OrcastraRuntime
import Foundation
import HummingbirdTesting
import OrcastraTestSupport
import Testing

@testable import OrcastraDevIdP

@Suite("Discovery and JWKS")
struct DiscoveryTests {
    @Test("discovery names Authentik's endpoints under the public URL, issuer with its trailing slash")
    func discovery() async throws {
        try await withDevIdP { client in
            let response = try await client.get("/application/o/orcastra/.well-known/openid-configuration")
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "application/json; charset=utf-8")
            let doc = try #require(response.json)
            #expect(doc["issuer"]?.string == "http://localhost:9000/application/o/orcastra/")
            #expect(doc["authorization_endpoint"]?.string == "http://localhost:9000/application/o/authorize/")
            #expect(doc["token_endpoint"]?.string == "http://localhost:9000/application/o/token/")
            #expect(doc["userinfo_endpoint"]?.string == "http://localhost:9000/application/o/userinfo/")
            #expect(doc["end_session_endpoint"]?.string == "http://localhost:9000/application/o/orcastra/end-session/")
            #expect(doc["jwks_uri"]?.string == "http://localhost:9000/application/o/orcastra/jwks/")
            #expect(doc["introspection_endpoint"]?.string == "http://localhost:9000/application/o/introspect/")
            #expect(doc["revocation_endpoint"]?.string == "http://localhost:9000/application/o/revoke/")
            #expect(doc["response_types_supported"] == .array([.string("code")]))
            #expect(doc["grant_types_supported"] == .array([.string("authorization_code"), .string("refresh_token")]))
            #expect(doc["id_token_signing_alg_values_supported"] == .array([.string("RS256")]))
            #expect(doc["subject_types_supported"] == .array([.string("public")]))
            #expect(doc["scopes_supported"] == .array(["openid", "email", "profile", "offline_access"].map { .string($0) }))
            #expect(doc["token_endpoint_auth_methods_supported"] == .array([.string("client_secret_post"), .string("client_secret_basic")]))
            #expect(doc["code_challenge_methods_supported"] == .array([.string("plain"), .string("S256")]))
            guard case .array(let claims)? = doc["claims_supported"] else { Issue.record("no claims_supported"); return }
            #expect(Set(claims.compactMap(\.string)).isSuperset(of: ["sub", "iss", "aud", "groups", "email", "preferred_username", "nonce"]))
        }
    }

    @Test("the discovery path carries the configured slug; another slug is 404")
    func slug() async throws {
        var config = Fixture.config()
        config.slug = "dashboard"
        try await withDevIdP(config) { client in
            let response = try await client.get("/application/o/dashboard/.well-known/openid-configuration")
            #expect(response.json?["issuer"]?.string == "http://localhost:9000/application/o/dashboard/")
            #expect(response.json?["jwks_uri"]?.string == "http://localhost:9000/application/o/dashboard/jwks/")
            #expect(try await client.get("/application/o/orcastra/.well-known/openid-configuration").status == .notFound)
        }
    }

    @Test("the JWKS is one RS256 signing key with base64url members")
    func jwks() async throws {
        try await withDevIdP { client in
            let response = try await client.get("/application/o/orcastra/jwks/")
            #expect(response.status == .ok)
            let doc = try #require(response.json)
            guard case .array(let keys)? = doc["keys"] else { Issue.record("no keys array"); return }
            #expect(keys.count == 1)
            let key = try #require(keys.first)
            #expect(key.keys == ["kty", "alg", "use", "kid", "n", "e"])
            #expect(key["kty"]?.string == "RSA")
            #expect(key["alg"]?.string == "RS256")
            #expect(key["use"]?.string == "sig")
            #expect(key["e"]?.string == "AQAB")
            let n = try #require(key["n"]?.string)
            #expect(!n.contains("=") && !n.contains("+") && !n.contains("/"))
            #expect(try #require(Base64URL.decode(n)).count == 256)
            #expect(key["kid"]?.string?.count == 32)
            // jwt-kit accepts it as a relying party would.
            _ = try await client.publishedKeys()
        }
    }

    @Test("the provider serves over a real socket (as other services' tests run it)")
    func live() async throws {
        try await withDevIdP(mode: .live) { client in
            #expect(client.port != nil)
            let response = try await client.get("/application/o/orcastra/.well-known/openid-configuration")
            #expect(response.status == .ok)
            #expect(response.json?["issuer"]?.string == Fixture.issuer)
            #expect(try await client.signIn("alice", "alice-pw").status == .found)
        }
    }

    @Test("health answers ok")
    func health() async throws {
        try await withDevIdP { client in
            let response = try await client.get("/health")
            #expect(response.status == .ok)
            #expect(response.json?["status"]?.string == "ok")
        }
    }
}
