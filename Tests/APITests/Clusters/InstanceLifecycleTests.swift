import Foundation
import HummingbirdTesting
import OrcastraRuntime
import OrcastraTestSupport
import Testing

@testable import OrcastraAPI

/// Real containers on the real daemons: the whole lifecycle through the API, the list across
/// both clusters, and one cluster paused or gone while the other's instances stay listed.
@Suite("Instances (real LXD)")
struct InstanceLifecycleTests {
    @Test("create, start, stop, restart, freeze, unfreeze, snapshot, restore, delete a real container; each audited with cluster, project and instance")
    func lifecycle() async throws {
        try await ClusterFixture.run { f in
            let admin = try f.admin
            try await f.withBoth(as: admin) { a, _ in
                let name = instanceName("life")
                let base = "/api/v1/clusters/\(a)/instances"
                let created = try await f.operate(.post, base, as: admin, json: #"{"name":"\#(name)","image":"busybox","start":true,"limits":{"memory":"128MiB"}}"#)
                #expect(created["status"]?.string == "success", "\(created)")
                #expect(created["progress"]?.number == 100)

                func status() async throws -> String? { try await f.call(.get, "\(base)/\(name)", as: admin).1["status"]?.string }
                let (_, detail) = try await f.call(.get, "\(base)/\(name)", as: admin)
                #expect(detail["status"]?.string == "Running")
                #expect(detail["config"]?["limits.memory"]?.string == "128MiB")
                #expect((detail["state"]?["processes"]?.number ?? 0) > 0)
                #expect(detail["state"]?["memory_usage_bytes"]?.number != nil)
                #expect(detail["profiles"]?.items?.first?.string == "default")

                let (refused, body) = try await f.call(.delete, "\(base)/\(name)", as: admin)
                #expect(refused == .conflict)
                #expect(body["error"]?["code"]?.string == "instance_running")

                for (action, expected) in [("stop", "Stopped"), ("start", "Running"), ("restart", "Running"), ("freeze", "Frozen"), ("unfreeze", "Running")] {
                    let operation = try await f.operate(.put, "\(base)/\(name)/state", as: admin, json: #"{"action":"\#(action)","force":true,"timeout":10}"#)
                    #expect(operation["status"]?.string == "success", "\(action): \(operation)")
                    #expect(try await status() == expected, "after \(action)")
                }

                try await LXDTestBed.lxc("a", ["exec", name, "--", "touch", "/tmp/before-snapshot"])
                #expect(try await f.operate(.post, "\(base)/\(name)/snapshots", as: admin, json: #"{"name":"s1"}"#)["status"]?.string == "success")
                let (_, snapshots) = try await f.call(.get, "\(base)/\(name)/snapshots", as: admin)
                #expect(snapshots["items"]?.items?.map { $0["name"]?.string } == ["s1"])
                try await LXDTestBed.lxc("a", ["exec", name, "--", "rm", "/tmp/before-snapshot"])
                #expect(try await f.operate(.put, "\(base)/\(name)/state", as: admin, json: #"{"action":"stop","force":true}"#)["status"]?.string == "success")
                #expect(try await f.operate(.post, "\(base)/\(name)/snapshots/s1/restore", as: admin)["status"]?.string == "success")
                #expect(try await f.operate(.put, "\(base)/\(name)/state", as: admin, json: #"{"action":"start"}"#)["status"]?.string == "success")
                let restored = try await LXDTestBed.lxc("a", ["exec", name, "--", "ls", "/tmp"])
                #expect(restored.output.contains("before-snapshot"), "the restored container has the file the snapshot saw")
                #expect(try await f.operate(.delete, "\(base)/\(name)/snapshots/s1", as: admin)["status"]?.string == "success")

                #expect(try await f.operate(.delete, "\(base)/\(name)?force=true", as: admin)["status"]?.string == "success")
                #expect(try await f.call(.get, "\(base)/\(name)", as: admin).0 == .notFound)

                let events = try await f.audited("instance.") + (try await f.audited("snapshot."))
                let actions = Set(events.map(\.action))
                #expect(actions.isSuperset(of: ["instance.create", "instance.stop", "instance.start", "instance.restart", "instance.freeze",
                                                "instance.unfreeze", "instance.delete", "snapshot.create", "snapshot.restore", "snapshot.delete"]))
                #expect(events.allSatisfy { $0.host == "lxd-a" && $0.project == "default" && ($0.target?.hasPrefix(name) ?? false) }, "\(events)")
                #expect(events.allSatisfy { $0.result == "success" })
            }
        }
    }

    @Test("a failing create (unknown image) ends as a failed operation with LXD's reason, audited as a failure")
    func failedOperation() async throws {
        try await ClusterFixture.run { f in
            let admin = try f.admin
            try await f.withBoth(as: admin) { a, _ in
                let name = instanceName("noimage")
                let (status, body) = try await f.call(.post, "/api/v1/clusters/\(a)/instances", as: admin, json: #"{"name":"\#(name)","image":"no-such-image"}"#)
                if status == .accepted {
                    let ended = try await f.follow(try #require(body["id"]?.string), as: admin)
                    #expect(ended["status"]?.string == "failure")
                    #expect(ended["error"]?.string?.isEmpty == false)
                } else {
                    #expect(status == .notFound, "LXD refused at once: \(body)")
                }
                #expect(try await f.audited("instance.create").map(\.result) == ["failure"])
            }
        }
    }

    @Test("names, types, limits, actions and bodies are checked before LXD is asked", arguments: [
        (#"{"name":"1bad","image":"busybox"}"#, "invalid_name"),
        (#"{"name":"bad_name","image":"busybox"}"#, "invalid_name"),
        (#"{"name":"ok","image":"busybox","type":"pod"}"#, "invalid_type"),
        (#"{"name":"ok","image":"bad image"}"#, "invalid_image"),
        (#"{"name":"ok","image":"busybox","limits":{"memory":"lots"}}"#, "invalid_limits"),
        (#"{"name":"ok","image":"busybox","profiles":["../x"]}"#, "invalid_profile"),
    ])
    func validation(body: String, code: String) async throws {
        try await ClusterFixture.run { f in
            let admin = try f.admin
            try await f.withBoth(as: admin) { a, _ in
                let (status, answer) = try await f.call(.post, "/api/v1/clusters/\(a)/instances", as: admin, json: body)
                #expect(status == .unprocessableContent, "\(answer)")
                #expect(answer["error"]?["code"]?.string == code)
                let (bad, _) = try await f.call(.put, "/api/v1/clusters/\(a)/instances/x1/state", as: admin, json: #"{"action":"explode"}"#)
                #expect(bad == .unprocessableContent)
                let (malformed, _) = try await f.call(.post, "/api/v1/clusters/\(a)/instances", as: admin, json: #"{"name": "#)
                #expect(malformed == .badRequest)
                #expect(try await f.audited("instance.").isEmpty, "refused input reaches neither LXD nor the audit trail")
            }
        }
    }

    @Test("the list spans both clusters with filters; a paused cluster is reported as timeout and a gone one as unreachable, within the per-cluster timeout, while the other's instances stay listed")
    func aggregatedList() async throws {
        try await ClusterFixture.run { f in
            let admin = try f.admin
            try await f.withBoth(as: admin) { a, b in
                let onA = instanceName("agg-a")
                let onB = instanceName("agg-b")
                #expect(try await f.operate(.post, "/api/v1/clusters/\(a)/instances", as: admin, json: #"{"name":"\#(onA)","image":"busybox","start":true}"#)["status"]?.string == "success")
                #expect(try await f.operate(.post, "/api/v1/clusters/\(b)/instances", as: admin, json: #"{"name":"\#(onB)","image":"busybox"}"#)["status"]?.string == "success")

                func names(_ query: String) async throws -> Set<String> {
                    let (_, list) = try await f.call(.get, "/api/v1/instances\(query)", as: admin)
                    return Set((list["items"]?.items ?? []).compactMap { $0["name"]?.string }.filter { $0 == onA || $0 == onB })
                }
                #expect(try await names("") == [onA, onB])
                #expect(try await names("?cluster=\(b)") == [onB])
                #expect(try await names("?status=Running") == [onA])
                #expect(try await names("?status=stopped") == [onB])
                #expect(try await names("?name=\(onA.suffix(8))") == [onA])
                #expect(try await names("?type=virtual-machine").isEmpty)
                #expect(try await names("?project=default") == [onA, onB])
                #expect(try await f.call(.get, "/api/v1/instances?status=sleeping", as: admin).0 == .badRequest)

                let start = ContinuousClock.now
                let (status, list) = try await LXDTestBed.whilePaused("b") { try await f.call(.get, "/api/v1/instances", as: admin) }
                let elapsed = ContinuousClock.now - start
                #expect(status == .ok)
                #expect(elapsed < ClusterFixture.listTimeout + .seconds(2), "took \(elapsed)")
                let reach = Dictionary(uniqueKeysWithValues: (list["clusters"]?.items ?? []).map { ($0["name"]?.string ?? "", $0) })
                #expect(reach["lxd-a"]?["status"]?.string == "ok")
                #expect(reach["lxd-b"]?["status"]?.string == "timeout", "\(list)")
                #expect(reach["lxd-b"]?["error"]?.string?.isEmpty == false)
                let listed = (list["items"]?.items ?? []).compactMap { $0["name"]?.string }
                #expect(listed.contains(onA) && !listed.contains(onB))

                // Nothing listening at b's address any more: unreachable, quickly.
                let closed = try Command.freePort()
                _ = try await f.h.sql { client in
                    try await client.query("UPDATE clusters SET endpoint = \("https://127.0.0.1:\(closed)") WHERE id = \(UUID(uuidString: b)!)", logger: .init(label: "test"))
                }
                let (_, gone) = try await f.call(.get, "/api/v1/instances", as: admin)
                let goneReach = (gone["clusters"]?.items ?? []).first { $0["name"]?.string == "lxd-b" }
                #expect(goneReach?["status"]?.string == "unreachable", "\(gone)")
                #expect(goneReach?["error"]?.string?.hasSuffix("127.0.0.1:\(closed): Connection refused") == true, "\(gone)")
                let (_, goneStatus) = try await f.call(.get, "/api/v1/clusters/\(b)/status", as: admin)
                #expect(goneStatus["reachable"]?.bool == false)
                #expect(goneStatus["latency_ms"] == nil, "no latency for a check that got no answer")
                #expect((gone["items"]?.items ?? []).contains { $0["name"]?.string == onA })
                _ = try await f.h.sql { client in
                    try await client.query("UPDATE clusters SET endpoint = \("https://\(try await LXDTestBed.address("b"))") WHERE id = \(UUID(uuidString: b)!)", logger: .init(label: "test"))
                }

                #expect(try await f.operate(.delete, "/api/v1/clusters/\(a)/instances/\(onA)?force=true", as: admin)["status"]?.string == "success")
                #expect(try await f.operate(.delete, "/api/v1/clusters/\(b)/instances/\(onB)", as: admin)["status"]?.string == "success")
            }
        }
    }

    @Test("an operation a stopped API left running is closed as a failure, audited once, at the next start")
    func abandonedOperations() async throws {
        try await ClusterFixture.run { f in
            let admin = try f.admin
            try await f.withBoth(as: admin) { a, _ in
                let name = instanceName("orphan")
                let created = try await f.operate(.post, "/api/v1/clusters/\(a)/instances", as: admin, json: #"{"name":"\#(name)","image":"busybox"}"#)
                let id = try #require(created["id"]?.string)
                _ = try await f.h.sql { client in
                    try await client.query("UPDATE operations SET status = 'running' WHERE id = \(UUID(uuidString: id)!)", logger: .init(label: "test"))
                    let tracker = OperationTracker(client: client, audit: AuditTrail(service: "test", version: "t", sink: LogSink(.memory), keys: .testing(client)), logger: .init(label: "test"))
                    try await tracker.closeAbandoned()
                    try await tracker.closeAbandoned()
                }
                let (_, closed) = try await f.call(.get, "/api/v1/operations/\(id)", as: admin)
                #expect(closed["status"]?.string == "failure")
                #expect(closed["operation_id"]?.string == id)
                #expect(closed["error"]?.string?.contains("API stopped") == true)
                let events = try await f.audited("instance.create").map(\.result)
                #expect(events == ["success", "failure"], "the original success and one closing failure")
                #expect(try await f.operate(.delete, "/api/v1/clusters/\(a)/instances/\(name)", as: admin)["status"]?.string == "success")
            }
        }
    }
}
