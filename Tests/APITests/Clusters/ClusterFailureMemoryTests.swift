import Foundation
import OrcastraModels
import Testing

@testable import OrcastraAPI

/// What the aggregated list remembers of clusters that did not answer, on a clock the test
/// moves itself (no sleeping).
@Suite("Cluster failure memory")
struct ClusterFailureMemoryTests {
    static func cluster(_ endpoint: String = "https://192.0.2.1:8443", id: UUID = UUID()) -> Cluster {
        Cluster(id: id, name: "c", description: "", endpoint: endpoint, serverFingerprint: "", clientFingerprint: "",
                ownerID: nil, ownerName: nil, createdAt: Date(), updatedAt: Date())
    }

    @Test("a timeout or no connection is recalled within the window, then forgotten so the cluster is asked again")
    func window() throws {
        let memory = ClusterFailureMemory(window: .seconds(30))
        let cluster = Self.cluster()
        let start = ContinuousClock.now
        memory.remember(.timeout(seconds: 5), of: cluster, at: start)
        let recalled = memory.recall(cluster, now: start + .seconds(10))
        #expect(recalled?.error == .timeout(seconds: 5))
        #expect(memory.describe(try #require(recalled), now: start + .seconds(10))
            == "the cluster did not answer within 5 s (remembered from 10.0 s ago; not asked again for 20 s)")
        #expect(memory.recall(cluster, now: start + .seconds(30)) == nil)
        #expect(memory.recall(cluster, now: start + .seconds(10)) == nil, "an expired failure is gone, not hidden")

        memory.remember(.unreachable("192.0.2.1:8443: Connection refused"), of: cluster, at: start)
        #expect(memory.recall(cluster, now: start)?.error == .unreachable("192.0.2.1:8443: Connection refused"))
        memory.forget(cluster.id)
        #expect(memory.recall(cluster, now: start) == nil)
    }

    @Test("quick answers (a refusal, a bad answer, a TLS failure) are not kept", arguments: [
        ClusterError.server(status: 500, message: "boom"), .badResponse("not LXD"), .tls("pin mismatch"),
    ])
    func quickFailures(error: ClusterError) {
        let memory = ClusterFailureMemory(window: .seconds(30))
        let cluster = Self.cluster()
        memory.remember(error, of: cluster)
        #expect(memory.recall(cluster) == nil)
    }

    @Test("a cluster moved to another endpoint is asked there at once; a window of 0 keeps nothing")
    func movedOrOff() {
        let memory = ClusterFailureMemory(window: .seconds(30))
        let before = Self.cluster("https://192.0.2.1:8443")
        memory.remember(.timeout(seconds: 5), of: before)
        #expect(memory.recall(Self.cluster("https://192.0.2.2:8443", id: before.id)) == nil)

        let off = ClusterFailureMemory(window: .zero)
        off.remember(.timeout(seconds: 5), of: before)
        #expect(off.recall(before) == nil)
    }
}
