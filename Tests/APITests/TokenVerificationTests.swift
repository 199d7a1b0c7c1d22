import Foundation
import Hummingbird
import HummingbirdTesting
import OrcastraModels
import OrcastraRuntime
import Testing
import _CryptoExtras

@testable import OrcastraAPI

/// Security rules 11–16 (Services/README.md), each against the real API router and a live test issuer.
@Suite("API token verification (security rules 11–16)")
struct TokenVerificationTests {
    @Test("a well-formed RS256 token → 200 /me with the token's identity, upserted in PostgreSQL")
    func acceptsValidToken() async throws {
        try await AuthHarness.run { h, client in
            let token = try h.issuer.token(h.issuer.claims(subject: "alice", groups: ["role_partner"]))
            let (status, me) = try await client.me(bearer: token)
            #expect(status == .ok)
            #expect(me?.subject == "alice")
            #expect(me?.role == .partner)
            #expect(me?.email == "alice@example.test")
            #expect(me?.groups == ["role_partner"])
            #expect(me?.authMethod == .token)
            let stored = try await h.sql { pg in
                try await pg.query("SELECT id, role, name FROM users WHERE subject = 'alice'").decode((UUID, String, String?).self).all()
            }
            #expect(stored.count == 1)
            #expect(stored.first?.0 == me?.id)
            #expect(stored.first?.1 == "partner")
        }
    }

    @Test("11: alg=none → 401")
    func refusesAlgNone() async throws {
        try await AuthHarness.run { h, client in
            let token = try TestIssuer.unsignedToken(claims: h.issuer.claims(), kid: h.issuer.currentKey.kid)
            #expect(try await client.me(bearer: token).0 == .unauthorized)
        }
    }

    @Test("11: HS256 signed with the RSA public key (PEM and DER) → 401")
    func refusesHMACWithPublicKey() async throws {
        try await AuthHarness.run { h, client in
            let publicKey = h.issuer.currentKey.rsa.publicKey
            for secret in [Data(publicKey.pemRepresentation.utf8), publicKey.derRepresentation] {
                let token = try TestIssuer.hmacToken(header: ["alg": "HS256", "typ": "JWT", "kid": h.issuer.currentKey.kid], claims: h.issuer.claims(), secret: secret)
                #expect(try await client.me(bearer: token).0 == .unauthorized)
            }
        }
    }

    @Test("11: HS256 with the client secret while configured for RS256 → 401")
    func refusesHMACWithClientSecret() async throws {
        try await AuthHarness.run { h, client in
            let token = try TestIssuer.hmacToken(header: ["alg": "HS256", "typ": "JWT"], claims: h.issuer.claims(), secret: Data("client-secret".utf8))
            #expect(try await client.me(bearer: token).0 == .unauthorized)
        }
    }

    @Test("15: wrong aud, slash-less iss, past exp, future nbf, missing exp/iss/aud/sub → 401 each")
    func refusesBadClaims() async throws {
        try await AuthHarness.run { h, client in
            let good = h.issuer.claims()
            let now = Date().timeIntervalSince1970
            var cases: [(String, [String: any Sendable])] = [
                ("wrong aud", good.merging(["aud": "someone-else"]) { $1 }),
                ("slash-less iss", good.merging(["iss": String(h.issuer.issuer.dropLast())]) { $1 }),
                ("past exp beyond leeway", good.merging(["exp": now - 120]) { $1 }),
                ("nbf beyond leeway", good.merging(["nbf": now + 600]) { $1 }),
            ]
            for claim in ["exp", "iss", "aud", "sub"] {
                var missing = good
                missing[claim] = nil
                cases.append(("missing \(claim)", missing))
            }
            for (name, claims) in cases {
                let token = try h.issuer.token(claims)
                let status = try await client.me(bearer: token).0
                #expect(status == .unauthorized, "\(name)")
            }
        }
    }

    @Test("15: exp 30 s ago is inside the 60 s leeway; aud as an array naming us → 200")
    func leewayAndAudienceArray() async throws {
        try await AuthHarness.run { h, client in
            let now = Date().timeIntervalSince1970
            let lateButLenient = try h.issuer.token(h.issuer.claims().merging(["exp": now - 30]) { $1 })
            let audienceList = try h.issuer.token(h.issuer.claims().merging(["aud": ["other", TestIssuer.audience]]) { $1 })
            #expect(try await client.me(bearer: lateButLenient).0 == .ok)
            #expect(try await client.me(bearer: audienceList).0 == .ok)
        }
    }

    @Test("15: nbf 30 s ahead is inside the 60 s leeway → 200; 90 s ahead is beyond it → 401")
    func notBeforeLeeway() async throws {
        try await AuthHarness.run { h, client in
            let now = Date().timeIntervalSince1970
            let early = try h.issuer.token(h.issuer.claims().merging(["nbf": now + 30]) { $1 })
            let tooEarly = try h.issuer.token(h.issuer.claims().merging(["nbf": now + 90]) { $1 })
            #expect(try await client.me(bearer: early).0 == .ok)
            #expect(try await client.me(bearer: tooEarly).0 == .unauthorized)
        }
    }

    @Test("an ID token is refused as a bearer; the provider's access token (azp and uid, nonce too) is accepted")
    func refusesIDTokens() async throws {
        try await AuthHarness.run { h, client in
            var idShaped = h.issuer.claims()
            idShaped["azp"] = nil
            idShaped["uid"] = nil
            let refused: [(String, String)] = [
                ("nonce, no azp/uid", try h.issuer.token(idShaped.merging(["nonce": "n-1"]) { $1 })),
                ("at_hash, no azp/uid", try h.issuer.token(idShaped.merging(["at_hash": "abc"]) { $1 })),
                ("typ id_token+jwt", try h.issuer.token(h.issuer.claims(), header: ["typ": "id_token+jwt"])),
            ]
            for (name, token) in refused {
                #expect(try await client.me(bearer: token).0 == .unauthorized, "\(name)")
            }
            let accepted: [(String, String)] = [
                ("access token with nonce, as the development provider and Authentik's code flow make it",
                 try h.issuer.token(h.issuer.claims().merging(["nonce": "n-1"]) { $1 })),
                ("typ at+jwt", try h.issuer.token(idShaped.merging(["nonce": "n-1"]) { $1 }, header: ["typ": "at+jwt"])),
                ("no marker either way", try h.issuer.token(idShaped)),
            ]
            for (name, token) in accepted {
                #expect(try await client.me(bearer: token).0 == .ok, "\(name)")
            }
        }
    }

    @Test("12: 40 concurrent tokens with random unknown kids cause at most one JWKS fetch per cooldown")
    func unknownKidFlood() async throws {
        try await AuthHarness.run { h, client in
            let valid = try h.issuer.token(h.issuer.claims())
            #expect(try await client.me(bearer: valid).0 == .ok)
            let before = h.issuer.jwksFetches
            let stranger = TestIssuer.Key(kid: "unused", rsa: TestIssuer.sharedKey.rsa)
            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for i in 0..<40 {
                    let token = try h.issuer.token(h.issuer.claims(), key: TestIssuer.Key(kid: "random-\(i)-\(UUID())", rsa: stranger.rsa))
                    group.addTask { try await client.me(bearer: token).0 }
                }
                return try await group.reduce(into: [HTTPResponse.Status]()) { $0.append($1) }
            }
            #expect(statuses.allSatisfy { $0 == .unauthorized })
            #expect(h.issuer.jwksFetches - before <= 1)
        }
    }

    @Test("14: after a rotation the new kid works after one refetch and the removed kid is refused")
    func rotation() async throws {
        try await AuthHarness.run(jwks: .init(refetchCooldown: .zero)) { h, client in
            let oldToken = try h.issuer.token(h.issuer.claims())
            #expect(try await client.me(bearer: oldToken).0 == .ok)
            let newKey = TestIssuer.Key(kid: "key-2", rsa: TestIssuer.sharedKey.rsa)
            h.issuer.rotate(to: newKey)
            let before = h.issuer.jwksFetches
            let rotated = try h.issuer.token(h.issuer.claims(), key: newKey)
            #expect(try await client.me(bearer: rotated).0 == .ok)
            #expect(h.issuer.jwksFetches - before == 1)
            #expect(try await client.me(bearer: oldToken).0 == .unauthorized)
        }
    }

    @Test("13: JWKS answering 503 → keys already fetched keep verifying (stale-if-error)")
    func staleIfError() async throws {
        try await AuthHarness.run(jwks: .init(refetchCooldown: .zero, maxAge: .milliseconds(1), staleIfError: .seconds(3600))) { h, client in
            let token = try h.issuer.token(h.issuer.claims())
            #expect(try await client.me(bearer: token).0 == .ok)
            h.issuer.setJWKSStatus(503)
            let before = h.issuer.jwksFetches
            try await Task.sleep(for: .milliseconds(20))
            #expect(try await client.me(bearer: token).0 == .ok)
            #expect(h.issuer.jwksFetches > before, "the stale set was due, so a refresh was attempted and failed")
        }
    }

    @Test("13: past the stale window a JWKS outage refuses tokens rather than trusting old keys forever")
    func staleWindowEnds() async throws {
        // A one-second window: long enough that the first call is inside it even on a busy machine.
        try await AuthHarness.run(jwks: .init(refetchCooldown: .zero, maxAge: .milliseconds(1), staleIfError: .seconds(1))) { h, client in
            let token = try h.issuer.token(h.issuer.claims())
            #expect(try await client.me(bearer: token).0 == .ok)
            h.issuer.setJWKSStatus(503)
            try await Task.sleep(for: .milliseconds(1500))
            #expect(try await client.me(bearer: token).0 == .unauthorized)
        }
    }

    @Test("16: a header-embedded jwk/jku/x5u is ignored; a token signed by the attacker's key is refused")
    func embeddedKeysIgnored() async throws {
        try await AuthHarness.run { h, client in
            let attacker = TestIssuer.Key(kid: "attacker", rsa: try _RSA.Signing.PrivateKey(keySize: .bits2048))
            let header: [String: any Sendable] = ["jwk": try TestIssuer.jwk(attacker), "jku": "http://127.0.0.1:1/jwks", "x5u": "http://127.0.0.1:1/x5u"]
            let selfSigned = try h.issuer.token(h.issuer.claims(), key: attacker, header: header)
            #expect(try await client.me(bearer: selfSigned).0 == .unauthorized)
            // Same header on a token really signed by the issuer's key, with the attacker's kid: still refused.
            let confused = try h.issuer.token(h.issuer.claims(), header: header.merging(["kid": "attacker"]) { $1 })
            #expect(try await client.me(bearer: confused).0 == .unauthorized)
        }
    }

    @Test("16: a bearer over 16 KiB is refused before decoding (no JWKS fetch)")
    func oversizedBearer() async throws {
        try await AuthHarness.run { h, client in
            var claims = h.issuer.claims()
            claims["padding"] = String(repeating: "a", count: 17 * 1024)
            let oversized = try h.issuer.token(claims)
            let before = h.issuer.jwksFetches
            #expect(try await client.me(bearer: oversized).0 == .unauthorized)
            #expect(h.issuer.jwksFetches == before)
        }
    }

    @Test("11, kid-less: a token without kid verifies with the one published key for its algorithm, whether or not the JWKS names it")
    func kidlessWithOneKey() async throws {
        try await AuthHarness.run(jwks: .init(refetchCooldown: .zero)) { h, client in
            let token = try h.issuer.token(h.issuer.claims(subject: "kidless"), withKid: false)
            let (status, me) = try await client.me(bearer: token)
            #expect(status == .ok)
            #expect(me?.subject == "kidless")
            #expect(me?.role == .tenant)

            h.issuer.publish([TestIssuer.sharedKey], withKids: false)
            // An unknown kid makes the API fetch the set again, now without kids.
            let stranger = TestIssuer.Key(kid: "unknown", rsa: TestIssuer.sharedKey.rsa)
            #expect(try await client.me(bearer: try h.issuer.token(h.issuer.claims(), key: stranger)).0 == .unauthorized)
            let neither = try h.issuer.token(h.issuer.claims(subject: "kidless-both"), withKid: false)
            #expect(try await client.me(bearer: neither).0 == .ok, "neither the token nor the JWKS names the key")
            let named = try h.issuer.token(h.issuer.claims(subject: "named"))
            #expect(try await client.me(bearer: named).0 == .unauthorized, "a kid the set does not carry is unknown, not the lone key")
        }
    }

    @Test("11, kid-less: with two published keys for its algorithm the token is refused, never tried against each; named tokens still work")
    func kidlessWithTwoKeys() async throws {
        try await AuthHarness.run(jwks: .init(refetchCooldown: .zero)) { h, client in
            let kidless = try h.issuer.token(h.issuer.claims(subject: "two-keys"), withKid: false)
            #expect(try await client.me(bearer: kidless).0 == .ok, "one key: accepted")
            let second = TestIssuer.Key(kid: "key-2", rsa: TestIssuer.secondKey)
            h.issuer.publish([TestIssuer.sharedKey, second])
            // A token naming key-2 makes the API fetch the set with both keys.
            #expect(try await client.me(bearer: try h.issuer.token(h.issuer.claims(), key: second)).0 == .ok)
            let again = try h.issuer.token(h.issuer.claims(subject: "two-keys-again"), withKid: false)
            #expect(try await client.me(bearer: again).0 == .unauthorized, "two RS256 keys: a token without kid cannot say which")
            let bySecond = try h.issuer.token(h.issuer.claims(subject: "two-keys-second"), key: second, withKid: false)
            #expect(try await client.me(bearer: bySecond).0 == .unauthorized, "not even when the second key did sign it")
            #expect(try await client.me(bearer: try h.issuer.token(h.issuer.claims(subject: "named"))).0 == .ok)
        }
    }

    @Test("11, kid-less: alg none, HS256 with the public key or the client secret, an algorithm not configured, and one with no published key → 401")
    func kidlessDisallowedAlgorithms() async throws {
        try await AuthHarness.run { h, client in
            #expect(try await client.me(bearer: try h.issuer.token(h.issuer.claims(), withKid: false)).0 == .ok, "the RS256 baseline is accepted")
            let publicKey = h.issuer.currentKey.rsa.publicKey
            let claims = h.issuer.claims()
            let refused: [(String, String)] = [
                ("alg none", try TestIssuer.part(["alg": "none", "typ": "JWT"]) + "." + TestIssuer.part(claims) + "."),
                ("HS256 with the PEM public key", try TestIssuer.hmacToken(header: ["alg": "HS256", "typ": "JWT"], claims: claims, secret: Data(publicKey.pemRepresentation.utf8))),
                ("HS256 with the DER public key", try TestIssuer.hmacToken(header: ["alg": "HS256", "typ": "JWT"], claims: claims, secret: publicKey.derRepresentation)),
                ("HS256 with the client secret", try TestIssuer.hmacToken(header: ["alg": "HS256", "typ": "JWT"], claims: claims, secret: Data("client-secret".utf8))),
                ("RS384, not in JWT_ALGORITHMS", try h.issuer.token(claims, header: ["alg": "RS384"], withKid: false)),
                ("ES256, configured but no published key is for it", try h.issuer.token(claims, header: ["alg": "ES256"], withKid: false)),
            ]
            for (name, token) in refused {
                #expect(try await client.me(bearer: token).0 == .unauthorized, "\(name)")
            }
        }
    }

    @Test("11, kid-less: after the provider replaces its one key, a token signed by the new key verifies after one refetch; the old key's is refused")
    func kidlessRotation() async throws {
        try await AuthHarness.run(jwks: .init(refetchCooldown: .zero)) { h, client in
            let old = try h.issuer.token(h.issuer.claims(subject: "before"), withKid: false)
            #expect(try await client.me(bearer: old).0 == .ok)
            let replacement = TestIssuer.Key(kid: "key-1", rsa: TestIssuer.secondKey)
            h.issuer.rotate(to: replacement)
            let before = h.issuer.jwksFetches
            let new = try h.issuer.token(h.issuer.claims(subject: "after"), key: replacement, withKid: false)
            #expect(try await client.me(bearer: new).0 == .ok)
            #expect(h.issuer.jwksFetches - before == 1)
            let late = try h.issuer.token(h.issuer.claims(subject: "before-late"), key: TestIssuer.sharedKey, withKid: false)
            #expect(try await client.me(bearer: late).0 == .unauthorized)
            #expect(try await client.me(bearer: old).0 == .unauthorized, "accepted and cached before, but its key is gone")
        }
    }

    @Test("no credentials, another scheme, garbage → 401 in the one error shape with WWW-Authenticate")
    func missingOrMalformedCredentials() async throws {
        try await AuthHarness.run { h, client in
            for headers: HTTPFields in [[:], [.authorization: "Basic dXNlcjpwYXNz"], [.authorization: "Bearer not-a-jwt"], [.authorization: "Bearer a.b.c"]] {
                try await client.execute(uri: "/api/v1/me", method: .get, headers: headers) { response async throws in
                    #expect(response.status == .unauthorized)
                    #expect(response.headers[.wwwAuthenticate] == "Bearer")
                    #expect(Data(buffer: response.body).errorCode == "unauthorized")
                }
            }
        }
    }

    @Test("Authorization: the Bearer scheme in any case, blanks around the token dropped; any other shape is no bearer", arguments: [
        ("Bearer abc", "abc"), ("bearer abc", "abc"), ("BEARER abc", "abc"), ("Bearer   abc  ", "abc"), ("  Bearer\tabc\t", "abc"),
        ("Bearer a b", "a b"), ("Bearer", nil), ("Bearer   ", nil), ("Basic abc", nil), ("Bearerabc", nil), ("Bearers abc", nil),
        ("Beare abc", nil), ("", nil), ("Bëarer abc", nil), ("Bearer é", "é"),
    ] as [(String, String?)])
    func bearerHeaderParsing(header: String, token: String?) {
        #expect(Authenticator.bearerToken(in: header).map(String.init) == token)
    }

    @Test("lenient spellings of a valid bearer still sign in; a bearer of blanks is refused")
    func bearerHeaderLeniency() async throws {
        try await AuthHarness.run { h, client in
            let token = try h.issuer.token(h.issuer.claims(subject: "lenient", groups: ["role_tenant"]))
            for header in ["bearer \(token)", "BEARER   \(token) \t"] {
                let (status, me) = try await client.me(bearer: nil, headers: [.authorization: header])
                #expect(status == .ok, "\(header.prefix(12))")
                #expect(me?.subject == "lenient")
            }
            #expect(try await client.me(bearer: nil, headers: [.authorization: "Bearer \t "]).0 == .unauthorized)
        }
    }
}
