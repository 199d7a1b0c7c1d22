import AsyncHTTPClient
import Foundation
import Hummingbird
import HummingbirdTesting
import OrcastraModels
import OrcastraRuntime
import Testing

@testable import OrcastraAPI

/// Opaque access tokens (not JWTs) checked at the provider: token introspection (RFC 7662) as
/// a client, or userinfo when opted in; against the real API router and the `TestIssuer`'s
/// endpoints, which count every call.
@Suite("API opaque access tokens (introspection, userinfo)")
struct OpaqueTokenVerificationTests {
    static let introspection = OpaqueTokenSettings(clientID: TestIssuer.audience, clientSecret: TestIssuer.introspectionSecret)

    static func run(_ opaque: OpaqueTokenSettings? = Self.introspection, _ body: @Sendable (AuthHarness, any TestClientProtocol) async throws -> Void) async throws {
        try await AuthHarness.run(configure: { $0.auth.opaque = opaque }, body)
    }

    static func opaqueToken() -> String { "opq_" + UUID().uuidString.replacingOccurrences(of: "-", with: "") }

    @Test("an active introspected token → 200 /me with its identity; ten requests ask the provider once")
    func activeAndCached() async throws {
        try await Self.run { h, client in
            let token = Self.opaqueToken()
            try h.issuer.register(opaque: token, answer: h.issuer.activeAnswer(subject: "olivia", groups: ["role_partner"]))
            let (status, me) = try await client.me(bearer: token)
            #expect(status == .ok)
            #expect(me?.subject == "olivia")
            #expect(me?.role == .partner)
            #expect(me?.email == "olivia@example.test")
            #expect(me?.authMethod == .token)
            for _ in 0..<9 { #expect(try await client.me(bearer: token).0 == .ok) }
            #expect(h.issuer.introspections == 1)
        }
    }

    @Test("introspected inactive, or unknown to the provider → 401; the active one beside it → 200")
    func inactive() async throws {
        try await Self.run { h, client in
            let live = Self.opaqueToken(), dead = Self.opaqueToken()
            try h.issuer.register(opaque: live, answer: h.issuer.activeAnswer())
            try h.issuer.register(opaque: dead, answer: ["active": false])
            #expect(try await client.me(bearer: live).0 == .ok)
            #expect(try await client.me(bearer: dead).0 == .unauthorized)
            #expect(try await client.me(bearer: Self.opaqueToken()).0 == .unauthorized)
            // A "no" is not remembered: the provider is asked each time.
            let before = h.issuer.introspections
            #expect(try await client.me(bearer: dead).0 == .unauthorized)
            #expect(h.issuer.introspections == before + 1)
        }
    }

    @Test("active, but another issuer, another audience or client, no exp, no sub, expired, or a refresh token → 401 each")
    func refusedAnswers() async throws {
        try await Self.run { h, client in
            let good = h.issuer.activeAnswer()
            let baseline = Self.opaqueToken()
            try h.issuer.register(opaque: baseline, answer: good)
            #expect(try await client.me(bearer: baseline).0 == .ok)
            var cases: [(String, [String: any Sendable])] = [
                ("iss of another provider", good.merging(["iss": "http://elsewhere.example/application/o/x/"]) { $1 }),
                ("aud of another application", good.merging(["aud": "someone-else"]) { $1 }),
                ("client_id of another application", good.merging(["client_id": "someone-else"]) { $1 }),
                ("expired beyond the leeway", good.merging(["exp": Date().timeIntervalSince1970 - 120]) { $1 }),
                ("a refresh token", good.merging(["token_type": "refresh_token"]) { $1 }),
            ]
            for claim in ["exp", "sub", "active"] {
                var missing = good
                missing[claim] = nil
                cases.append(("missing \(claim)", missing))
            }
            for (name, answer) in cases {
                let token = Self.opaqueToken()
                try h.issuer.register(opaque: token, answer: answer)
                #expect(try await client.me(bearer: token).0 == .unauthorized, "\(name)")
            }
        }
    }

    @Test("the provider down (503) or refusing our client → 401, not cached; once it answers again → 200")
    func providerOutage() async throws {
        try await Self.run { h, client in
            let token = Self.opaqueToken()
            try h.issuer.register(opaque: token, answer: h.issuer.activeAnswer())
            h.issuer.setIntrospection(status: 503)
            #expect(try await client.me(bearer: token).0 == .unauthorized)
            h.issuer.setIntrospection(status: 200)
            #expect(try await client.me(bearer: token).0 == .ok)
        }
        try await Self.run(OpaqueTokenSettings(clientID: TestIssuer.audience, clientSecret: "a-wrong-secret")) { h, client in
            let token = Self.opaqueToken()
            try h.issuer.register(opaque: token, answer: h.issuer.activeAnswer())
            #expect(try await client.me(bearer: token).0 == .unauthorized, "introspection answers 401 to a client it does not know")
            #expect(h.issuer.introspections == 1)
        }
    }

    @Test("20 concurrent requests with one new token share one introspection call")
    func concurrentChecksShareOneCall() async throws {
        try await Self.run { h, client in
            let token = Self.opaqueToken()
            try h.issuer.register(opaque: token, answer: h.issuer.activeAnswer())
            h.issuer.setIntrospection(delay: .milliseconds(300))
            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for _ in 0..<20 { group.addTask { try await client.me(bearer: token).0 } }
                return try await group.reduce(into: [HTTPResponse.Status]()) { $0.append($1) }
            }
            #expect(statuses == Array(repeating: .ok, count: 20))
            #expect(h.issuer.introspections == 1)
        }
    }

    @Test("at most maxInFlight different tokens are checked at once; the rest are refused without a call")
    func boundedInFlight() async throws {
        var settings = Self.introspection
        settings.maxInFlight = 2
        try await Self.run(settings) { h, client in
            h.issuer.setIntrospection(delay: .seconds(1))
            let tokens = (0..<6).map { _ in Self.opaqueToken() }
            for token in tokens { try h.issuer.register(opaque: token, answer: h.issuer.activeAnswer()) }
            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for token in tokens { group.addTask { try await client.me(bearer: token).0 } }
                return try await group.reduce(into: [HTTPResponse.Status]()) { $0.append($1) }
            }
            // All six arrive while the first two calls are held for a second.
            #expect(h.issuer.introspections == 2)
            #expect(statuses.filter { $0 == .ok }.count == 2)
            #expect(statuses.filter { $0 == .unauthorized }.count == 4)
        }
    }

    @Test("userinfo, opted in and without introspection: 200 with the user's claims, one call for ten requests; a token userinfo refuses → 401")
    func userinfoFallback() async throws {
        try await Self.run(OpaqueTokenSettings(clientID: TestIssuer.audience, userinfo: true)) { h, client in
            h.issuer.setIntrospection(advertised: false)
            let token = Self.opaqueToken()
            try h.issuer.register(opaque: token, answer: h.issuer.activeAnswer(subject: "uma", groups: ["role_admin"]))
            let (status, me) = try await client.me(bearer: token)
            #expect(status == .ok)
            #expect(me?.subject == "uma")
            #expect(me?.role == .admin)
            for _ in 0..<9 { #expect(try await client.me(bearer: token).0 == .ok) }
            #expect(h.issuer.userinfoCalls == 1)
            #expect(h.issuer.introspections == 0)
            #expect(try await client.me(bearer: Self.opaqueToken()).0 == .unauthorized)
        }
    }

    @Test("without OIDC_INTROSPECTION_CLIENT_SECRET or the userinfo opt-in an opaque token is refused and the provider never hears of it; kid-less JWTs still pass")
    func notConfigured() async throws {
        try await Self.run(nil) { h, client in
            let token = Self.opaqueToken()
            try h.issuer.register(opaque: token, answer: h.issuer.activeAnswer())
            #expect(try await client.me(bearer: token).0 == .unauthorized)
            #expect(h.issuer.introspections == 0)
            #expect(h.issuer.userinfoCalls == 0)
            #expect(try await client.me(bearer: try h.issuer.token(h.issuer.claims(), withKid: false)).0 == .ok)
        }
    }

    @Test("16: an opaque bearer over 16 KiB, or with characters a bearer token cannot have, is refused without a call")
    func malformedOpaque() async throws {
        try await Self.run { h, client in
            let baseline = Self.opaqueToken()
            try h.issuer.register(opaque: baseline, answer: h.issuer.activeAnswer())
            #expect(try await client.me(bearer: baseline).0 == .ok)
            let before = h.issuer.introspections
            for token in [String(repeating: "a", count: 17 * 1024), "opq_with=padding_in_the_middle", "opq_%0d%0a"] {
                try h.issuer.register(opaque: token, answer: h.issuer.activeAnswer())
                #expect(try await client.me(bearer: token).0 == .unauthorized, "\(token.prefix(40))")
            }
            #expect(h.issuer.introspections == before)
        }
    }

    @Test("expiry: a cached answer ends at the token's exp (injected clock); the provider is then asked again and its no is final")
    func expiryHonoured() async throws {
        try await TestIssuer.run { issuer in
            let clock = ManualDate()
            let cache = VerifiedTokenCache(now: clock.now)
            let checker = OpaqueTokenChecker(settings: Self.introspection, issuer: issuer.issuer, audience: TestIssuer.audience, leeway: .seconds(60),
                                             http: HTTPClient.shared, cache: cache)
            let jwt = TokenVerifier(policy: .init(issuer: issuer.issuer, audience: TestIssuer.audience),
                                    keys: .discovering(issuer: issuer.issuer, http: HTTPClient.shared, policy: .init()), now: clock.now)
            let verifier = BearerVerifier(jwt: jwt, opaque: checker, cache: cache)
            let token = Self.opaqueToken()
            try issuer.register(opaque: token, answer: issuer.activeAnswer(expires: clock.now().addingTimeInterval(300)))

            #expect(try await verifier.verify(token).subject == "opaque-user")
            clock.advance(seconds: 299)
            #expect(try await verifier.verify(token).subject == "opaque-user")
            #expect(issuer.introspections == 1, "answered from the cache until exp")

            clock.advance(seconds: 2)
            try issuer.register(opaque: token, answer: ["active": false])
            await #expect(throws: TokenRejection.self) { try await verifier.verify(token) }
            #expect(issuer.introspections == 2, "asked again once exp had passed")
            await #expect(throws: TokenRejection.self) { try await verifier.verify(token) }
            #expect(cache.count == 0)
        }
    }
}
