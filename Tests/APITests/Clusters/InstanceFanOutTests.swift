import Foundation
import NIOCore
import NIOHTTP1
import OrcastraTestSupport
import Synchronization
import Testing

@testable import OrcastraAPI

/// The aggregated list across many, slow and dead clusters: how many are asked at once, and
/// that a dead one costs its deadline once per window, not once per request.
///
/// Real LXD cannot be made slow on demand or multiplied by the dozen, so the slow and hung
/// clusters are `FakeLXD`s imitating LXD's `GET /1.0/instances?all-projects=true&recursion=1`
/// (a sync envelope with full instances) held back as a busy server holds it, or never
/// answered, as a hung daemon (the test bed's `whilePaused`) never answers; the healthy cluster
/// beside them is the real test-bed daemon a.
@Suite("Instance list fan-out", .serialized)
struct InstanceFanOutTests {
    /// A server that trusts us, with one stopped container named after `name` in its list.
    static func server(named name: String) -> FakeLXD.Answer {
        { method, uri in
            if method == .GET, uri.hasPrefix("/1.0/instances") {
                return FakeLXD.sync(#"[{"name":"\#(name)","project":"default","type":"container","status":"Stopped","created_at":"2026-01-01T00:00:00Z","location":"none","config":{"image.description":"busybox"},"devices":{},"expanded_config":{},"profiles":["default"]}]"#)
            }
            return ClusterRegistrationGuardTests.trustingServer(method, uri)
        }
    }

    static func isList(_ uri: String) -> Bool { uri.hasPrefix("/1.0/instances") }

    /// Registers `fake` as an admin; returns the cluster id.
    static func register(_ fake: FakeLXD, name: String, in f: ClusterFixture) async throws -> String {
        let token = ClusterFixture.token(addresses: [fake.address], fingerprint: fake.fingerprint)
        let (status, body, _) = try await f.registerToken(token, name: name, as: try f.admin)
        #expect(status == .created, "registering \(name): \(body)")
        return try #require(body["id"]?.string)
    }

    /// The aggregated list: how long it took, each cluster's report by name, the instance names.
    static func list(_ f: ClusterFixture) async throws -> (elapsed: Duration, clusters: [String: JSONValue], names: [String]) {
        let start = ContinuousClock.now
        let (status, body) = try await f.call(.get, "/api/v1/instances?limit=500", as: try f.admin)
        let elapsed = ContinuousClock.now - start
        #expect(status == .ok, "\(body)")
        let clusters = Dictionary(uniqueKeysWithValues: (body["clusters"]?.items ?? []).map { ($0["name"]?.string ?? "", $0) })
        return (elapsed, clusters, (body["items"]?.items ?? []).compactMap { $0["name"]?.string })
    }

    @Test("at most LXD_LIST_CONCURRENCY clusters are asked at once, and every cluster is still listed")
    func boundedConcurrency() async throws {
        let log = FakeLXD.Log()
        var fakes: [FakeLXD] = []
        do {
            for index in 0..<7 {
                fakes.append(try await FakeLXD(log: log, delay: { _, uri in Self.isList(uri) ? .milliseconds(600) : .zero },
                                               answer: Self.server(named: "c\(index)")))
            }
            let servers = fakes
            try await ClusterFixture.run(configure: { $0.listConcurrency = 3 }) { f in
                for (index, fake) in servers.enumerated() { _ = try await Self.register(fake, name: "fake-\(index)", in: f) }
                let (_, clusters, names) = try await Self.list(f)
                #expect(clusters.count == 7)
                #expect(clusters.values.allSatisfy { $0["status"]?.string == "ok" }, "\(clusters)")
                #expect(Set(names) == Set((0..<7).map { "c\($0)" }))
                #expect(log.state.withLock { $0.requests }.filter { $0.hasPrefix("GET /1.0/instances") }.count == 7)
                #expect(log.mostOpen <= 3, "at most three clusters asked at once")
                #expect(log.mostOpen > 1, "the clusters are asked concurrently")
            }
        } catch {
            for fake in fakes { await fake.stop() }
            throw error
        }
        for fake in fakes { await fake.stop() }
    }

    /// Whether the fake hangs on instance lists; the test turns it off to let the cluster recover.
    final class Hang: Sendable {
        let on = Mutex(true)
    }

    @Test("a hung cluster costs its deadline once: within the window it is reported at once with the remembered error and not asked; after it, it is asked again")
    func rememberedFailure() async throws {
        let hang = Hang()
        let window: Duration = .seconds(4)
        try await FakeLXD.with(delay: { _, uri in Self.isList(uri) && hang.on.withLock { $0 } ? nil : .zero }, answer: Self.server(named: "back")) { fake in
            try await ClusterFixture.run(configure: { $0.listFailureMemory = window }) { f in
                let admin = try f.admin
                let a = try await f.register("a", name: "lxd-a", as: admin)
                do {
                    _ = try await Self.register(fake, name: "hung", in: f)
                    func asked() -> Int { fake.requests.filter { $0.hasPrefix("GET /1.0/instances") }.count }

                    let first = try await Self.list(f)
                    #expect(first.clusters["hung"]?["status"]?.string == "timeout", "\(first.clusters)")
                    #expect(first.clusters["lxd-a"]?["status"]?.string == "ok", "\(first.clusters)")
                    #expect(asked() == 1)

                    let second = try await Self.list(f)
                    #expect(asked() == 1, "the hung cluster is not asked again within the window")
                    #expect(second.elapsed < ClusterFixture.listTimeout, "no deadline waited: \(second.elapsed)")
                    #expect(second.clusters["hung"]?["status"]?.string == "timeout")
                    #expect(second.clusters["hung"]?["error"]?.string?.contains("remembered") == true, "\(second.clusters)")
                    #expect(second.clusters["lxd-a"]?["status"]?.string == "ok", "the other cluster is still asked")

                    hang.on.withLock { $0 = false }
                    try await Task.sleep(for: window)
                    let third = try await Self.list(f)
                    #expect(asked() == 2, "asked again after the window")
                    #expect(third.clusters["hung"]?["status"]?.string == "ok", "\(third.clusters)")
                    #expect(third.names.contains("back"))
                } catch {
                    try? await f.remove(a, as: admin)
                    throw error
                }
                try await f.remove(a, as: admin)
            }
        }
    }
}
