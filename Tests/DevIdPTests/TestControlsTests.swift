import Foundation
import HummingbirdTesting
import JWTKit
import OrcastraTestSupport
import Testing

@testable import OrcastraDevIdP

@Suite("Test controls")
struct TestControlsTests {
    @Test("rotate-key publishes only the new kid, and new tokens carry it")
    func rotate() async throws {
        try await withDevIdP(Fixture.config(testControls: true)) { client in
            let before = try await client.tokens()
            let oldKid = try DecodedJWT(before.id_token).header["kid"]?.string

            let rotated = try await client.postJSON("/_test/rotate-key", "{}")
            #expect(rotated.status == .ok)
            let newKid = try #require(rotated.json?["kid"]?.string)
            #expect(newKid != oldKid)

            let jwks = try #require(try await client.get("/application/o/orcastra/jwks/").json)
            guard case .array(let keys)? = jwks["keys"] else { Issue.record("no keys"); return }
            #expect(keys.compactMap { $0["kid"]?.string } == [newKid])

            let after = try await client.tokens()
            #expect(try DecodedJWT(after.id_token).header["kid"]?.string == newKid)
            #expect(try DecodedJWT(after.access_token).header["kid"]?.string == newKid)
            let published = try await client.publishedKeys()
            _ = try await published.verify(after.id_token, as: AnyClaims.self)
            await #expect(throws: (any Error).self) { _ = try await published.verify(before.id_token, as: AnyClaims.self) }
            // The old key is gone here too: its access token no longer opens userinfo.
            #expect(try await client.get("/application/o/userinfo/", headers: [.authorization: "Bearer \(before.access_token)"]).status == .unauthorized)
        }
    }

    @Test("the JWKS answers the status set through /_test/jwks, and the stats count every request")
    func jwksFaults() async throws {
        try await withDevIdP(Fixture.config(testControls: true)) { client async throws in
            #expect(try await client.get("/_test/stats").json?["jwks_requests"]?.number == 0)
            #expect(try await client.get("/application/o/orcastra/jwks/").status == .ok)

            #expect(try await client.postJSON("/_test/jwks", #"{"status": 503}"#).status == .ok)
            #expect(try await client.get("/application/o/orcastra/jwks/").status == .serviceUnavailable)
            #expect(try await client.get("/application/o/orcastra/jwks/").status == .serviceUnavailable)
            // Discovery is not affected.
            #expect(try await client.get("/application/o/orcastra/.well-known/openid-configuration").status == .ok)

            #expect(try await client.postJSON("/_test/jwks", #"{"status": 200}"#).status == .ok)
            #expect(try await client.get("/application/o/orcastra/jwks/").status == .ok)
            #expect(try await client.get("/_test/stats").json == .object([
                "jwks_requests": .number(4), "introspection_requests": .number(0), "userinfo_requests": .number(0),
            ]))

            #expect(try await client.postJSON("/_test/jwks", #"{"status": 42}"#).status == .badRequest)
        }
    }

    @Test("without DEVIDP_TEST_CONTROLS the routes do not exist")
    func absent() async throws {
        try await withDevIdP(Fixture.config(testControls: false)) { client async throws in
            #expect(try await client.postJSON("/_test/rotate-key", "{}").status == .notFound)
            #expect(try await client.postJSON("/_test/jwks", #"{"status": 503}"#).status == .notFound)
            #expect(try await client.get("/_test/stats").status == .notFound)
            #expect(try await client.postJSON("/_test/token-style", #"{"opaque_access_tokens": true}"#).status == .notFound)
            #expect(try await client.get("/application/o/orcastra/jwks/").status == .ok)
        }
    }
}
