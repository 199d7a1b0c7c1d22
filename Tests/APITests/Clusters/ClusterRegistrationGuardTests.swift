import Foundation
import HTTPTypes
import NIOCore
import NIOHTTP1
import OrcastraRuntime
import OrcastraTestSupport
import PostgresNIO
import Testing

@testable import OrcastraAPI

/// Registration is not a network scanner: what a partner may make the API connect to, what they
/// learn when it fails, how often they may try, how many clusters they may own, and that a
/// token's secret must be proven even to a server that already trusts our certificate.
@Suite("Cluster registration guards", .serialized)
struct ClusterRegistrationGuardTests {
    @Test("the address policy refuses loopback, link-local, multicast, unspecified and metadata addresses; private ranges only when allowed", arguments: [
        ("127.0.0.1", false), ("127.8.9.10", false), ("::1", false), ("::ffff:127.0.0.1", false), ("0.0.0.0", false), ("::", false),
        ("169.254.169.254", false), ("169.254.1.1", false), ("fe80::1", false), ("fd00:ec2::254", false), ("224.0.0.1", false),
        ("ff02::1", false), ("255.255.255.255", false), ("64:ff9b::7f00:1", false), ("::7f00:1", false),
        ("10.1.2.3", false), ("172.16.0.1", false), ("192.168.1.1", false), ("100.64.0.1", false), ("fd12::1", false),
        ("203.0.113.7", true), ("2001:db8::1", true), ("8.8.8.8", true),
    ])
    func policy(address: String, allowed: Bool) throws {
        let ip = try #require(IPAddress(address))
        #expect((ClusterAddressPolicy().refusal(ip) == nil) == allowed, "\(address)")
    }

    @Test("CLUSTER_ALLOWED_CIDRS opens a private range, never loopback or metadata; a bad entry stops start-up naming the variable")
    func allowedCIDRs() throws {
        let policy = try ClusterAddressPolicy(settings: Settings.testing(["CLUSTER_ALLOWED_CIDRS": "10.20.0.0/16, fd00::/8, 127.0.0.0/8, 169.254.0.0/16"]))
        #expect(policy.refusal(IPAddress("10.20.3.4")!) == nil)
        #expect(policy.refusal(IPAddress("fd00::5")!) == nil)
        #expect(policy.refusal(IPAddress("10.21.0.1")!) != nil)
        #expect(policy.refusal(IPAddress("127.0.0.1")!) != nil)
        #expect(policy.refusal(IPAddress("169.254.169.254")!) != nil)
        #expect(policy.refusal(IPAddress("fd00:ec2::254")!) != nil)
        #expect(throws: ConfigError.self) { try ClusterAddressPolicy(settings: Settings.testing(["CLUSTER_ALLOWED_CIDRS": "10.0.0.0/33"])) }
    }

    @Test("host names are resolved and every address checked; the address connected to is the checked one")
    func names() throws {
        let policy = ClusterAddressPolicy()
        #expect(throws: ClusterAddressPolicy.Refused.self) { try policy.resolve("localhost:8443", checked: true) }
        let targets = try policy.resolve("localhost:8443", checked: false)
        #expect(targets.contains { $0.description == "127.0.0.1:8443" } || targets.contains { $0.description == "[::1]:8443" }, "\(targets)")
        #expect(try policy.resolve("203.0.113.7:8443", checked: true).map(\.description) == ["203.0.113.7:8443"])
    }

    @Test("a partner's token naming only refused addresses is a 422 and nothing is connected to; an admin registers the same server")
    func refusedAddresses() async throws {
        try await FakeLXD.with(answer: { method, uri in
            method == .GET && uri == "/1.0" ? FakeLXD.server(auth: "trusted") : FakeLXD.sync("{}")
        }) { fake in
            try await ClusterFixture.run { f in
                let partner = try f.token("partner-1", role: "partner")
                let token = ClusterFixture.token(addresses: [fake.address, "169.254.169.254:8443", "[::1]:\(fake.port)", "10.0.0.1:8443"],
                                                 fingerprint: fake.fingerprint)
                let (status, body, _) = try await f.registerToken(token, name: "sneaky", as: partner)
                #expect(status == .unprocessableContent, "\(body)")
                #expect(body["error"]?["code"]?.string == "address_not_allowed")
                #expect(fake.connections == 0, "nothing was connected to")
                #expect(try await f.clusterRows() == 0)
                #expect(try await f.audited("cluster.register").map(\.result) == ["failure"])

                let (created, cluster, _) = try await f.registerToken(token, name: "lab", as: try f.admin)
                #expect(created == .created, "\(cluster)")
                #expect(cluster["endpoint"]?.string == "https://\(fake.address)")
            }
        }
    }

    @Test("a partner learns the same words for every failed address and no fingerprint; an admin keeps the details")
    func genericFailures() async throws {
        try await FakeLXD.with(answer: { _, _ in FakeLXD.server(auth: "untrusted") }) { fake in
            try await ClusterFixture.run(configure: ClusterFixture.partnersMayUseLoopback) { f in
                let partner = try f.token("partner-1", role: "partner")
                let closed = "127.0.0.1:\(try Command.freePort())"
                let wrong = String(repeating: "ab", count: 32)
                let token = ClusterFixture.token(addresses: [closed, fake.address], fingerprint: wrong)
                let (status, body, _) = try await f.registerToken(token, name: "probe", as: partner)
                #expect(status == .badGateway, "\(body)")
                #expect(body["error"]?["code"]?.string == "cluster_unreachable")
                let message = try #require(body["error"]?["message"]?.string)
                #expect(message.contains("\(closed): no LXD server with the expected certificate answered"), "\(message)")
                #expect(message.contains("\(fake.address): no LXD server with the expected certificate answered"), "\(message)")
                #expect(!message.contains(fake.fingerprint) && !message.lowercased().contains("refused"), "\(message)")

                let (adminStatus, adminBody, _) = try await f.registerToken(token, name: "probe", as: try f.admin)
                #expect(adminStatus == .badGateway)
                #expect(adminBody["error"]?["code"]?.string == "fingerprint_mismatch")
                #expect(adminBody["error"]?["message"]?.string?.contains(fake.fingerprint) == true)
            }
        }
    }

    /// A server that trusts every client (as one that trusts our CA does), with one pending
    /// trust token whose secret is `s3cret`.
    static func trustingServer(_ method: HTTPMethod, _ uri: String) -> (status: Int, body: ByteBuffer) {
        switch (method, uri) {
        case (.GET, "/1.0"): FakeLXD.server(auth: "trusted")
        case (.GET, "/1.0/operations?recursion=1"):
            FakeLXD.sync(#"{"running":[{"id":"op-other","class":"task","metadata":{}},{"id":"tok-1","class":"token","metadata":{"secret":"s3cret"}}]}"#)
        default: FakeLXD.sync("{}")
        }
    }

    @Test("a server that already trusts our certificate is claimed by a partner only with a pending token's secret, which is used up; an admin needs none")
    func secretProof() async throws {
        try await FakeLXD.with(answer: { Self.trustingServer($0, $1) }) { fake in
            try await ClusterFixture.run(configure: ClusterFixture.partnersMayUseLoopback) { f in
                let partner = try f.token("partner-1", role: "partner")
                let guessed = ClusterFixture.token(addresses: [fake.address], fingerprint: fake.fingerprint, secret: "guess")
                let (refused, body, _) = try await f.registerToken(guessed, name: "claimed", as: partner)
                #expect(refused == .unprocessableContent, "\(body)")
                #expect(body["error"]?["code"]?.string == "trust_token_rejected")
                #expect(try await f.clusterRows() == 0)
                #expect(!fake.requests.contains { $0.hasPrefix("DELETE /1.0/operations") })

                let real = ClusterFixture.token(addresses: [fake.address], fingerprint: fake.fingerprint, secret: "s3cret")
                let (created, cluster, _) = try await f.registerToken(real, name: "mine", as: partner)
                #expect(created == .created, "\(cluster)")
                #expect(fake.requests.contains("DELETE /1.0/operations/tok-1"), "the token is used up: \(fake.requests)")

                let (byAdmin, adminCluster, _) = try await f.registerToken(guessed, name: "admins", as: try f.admin)
                #expect(byAdmin == .created, "\(adminCluster)")
            }
        }
    }

    @Test("registrations are limited per user and hour: the 11th is a 429 with Retry-After, and nothing is connected to")
    func rateLimited() async throws {
        try await ClusterFixture.run { f in
            let partner = try f.token("partner-1", role: "partner")
            let token = ClusterFixture.token(addresses: ["10.0.0.1:8443"], fingerprint: String(repeating: "ab", count: 32))
            for attempt in 1...10 {
                let (status, body, _) = try await f.registerToken(token, name: "try-\(attempt)", as: partner)
                #expect(status == .unprocessableContent, "\(attempt): \(body)")
            }
            let (status, body, headers) = try await f.registerToken(token, name: "try-11", as: partner)
            #expect(status == .tooManyRequests, "\(body)")
            #expect(body["error"]?["code"]?.string == "rate_limited")
            let retry = try #require(headers[.retryAfter].flatMap(Int.init))
            #expect((3500...3600).contains(retry), "\(retry)")
            // Another user is not held back by the first one's attempts.
            let other = try f.token("partner-2", role: "partner")
            #expect(try await f.registerToken(token, name: "other", as: other).0 == .unprocessableContent)
        }
    }

    @Test("a partner may own MAX_CLUSTERS_PER_PARTNER clusters, refused before anything is connected; admins are not counted")
    func quota() async throws {
        try await FakeLXD.with(answer: { Self.trustingServer($0, $1) }) { fake in
            try await ClusterFixture.run(configure: {
                ClusterFixture.partnersMayUseLoopback(&$0)
                $0.maxPerPartner = 1
            }) { f in
                let partner = try f.token("partner-1", role: "partner")
                let real = { ClusterFixture.token(addresses: [fake.address], fingerprint: fake.fingerprint, secret: "s3cret") }
                #expect(try await f.registerToken(real(), name: "first", as: partner).0 == .created)
                let connections = fake.connections
                let (status, body, _) = try await f.registerToken(real(), name: "second", as: partner)
                #expect(status == .conflict, "\(body)")
                #expect(body["error"]?["code"]?.string == "cluster_limit_reached")
                #expect(fake.connections == connections, "refused before connecting")
                #expect(try await f.clusterRows() == 1)
                let admin = try f.admin
                #expect(try await f.registerToken(real(), name: "admin-1", as: admin).0 == .created)
                #expect(try await f.registerToken(real(), name: "admin-2", as: admin).0 == .created)
            }
        }
    }
}
