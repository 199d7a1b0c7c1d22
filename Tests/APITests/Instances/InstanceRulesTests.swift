import Foundation
import OrcastraModels
import OrcastraRuntime
import Testing

@testable import OrcastraAPI

/// The pure logic of instances, without a cluster: what a request may say, how LXD's answers
/// become Orcastra's lists, and how a cluster's failures are answered.
@Suite("Instance rules (no LXD needed)")
struct InstanceRulesTests {
    static func create(_ json: String) throws -> InstanceRequests.Create {
        try JSONDecoder().decode(InstanceRequests.Create.self, from: Data(json.utf8))
    }

    /// The code of the `APIError` `body` throws, or nil when it does not throw one.
    static func refusal(_ body: () throws -> some Any) -> String? {
        do {
            _ = try body()
            return nil
        } catch {
            return (error as? any APIErrorConvertible)?.apiError.code ?? "not an API error: \(error)"
        }
    }

    @Test("instance names are host names", arguments: [
        ("web-1", true), ("a", true), ("A1b2", true), (String(repeating: "a", count: 63), true),
        ("1web", false), ("web-", false), ("-web", false), ("we_b", false), ("web.1", false), ("", false),
        (String(repeating: "a", count: 64), false), ("we b", false), ("web/../x", false), ("wéb", false),
    ])
    func instanceNames(name: String, valid: Bool) {
        #expect((Self.refusal { try LXDNames.instance(name) } == nil) == valid)
        if !valid { #expect(Self.refusal { try LXDNames.instance(name) } == "invalid_name") }
    }

    @Test("object names (projects, snapshots, profiles, clusters) cannot change a URL path", arguments: [
        ("default", true), ("p.1_x-y", true), ("9lives", true),
        ("", false), (".hidden", false), ("a/b", false), ("a?b", false), ("a#b", false), ("a b", false), ("%2e", false),
        (String(repeating: "p", count: 64), false),
    ])
    func objectNames(name: String, valid: Bool) {
        #expect(LXDNames.isObjectName(name) == valid)
    }

    @Test("a missing or empty project is `default`; a bad one is refused with 400")
    func projects() throws {
        #expect(try LXDNames.project(nil) == "default")
        #expect(try LXDNames.project("") == "default")
        #expect(try LXDNames.project("tenant-a") == "tenant-a")
        #expect(Self.refusal { try LXDNames.project("../x") } == "invalid_project")
        #expect(Self.refusal { try LXDNames.snapshot("s/1") } == "invalid_snapshot_name")
    }

    @Test("a create request becomes LXD's body: defaults, alias or fingerprint, limits and cloud-init")
    func createBody() throws {
        let plain = try InstanceRequests.validated(try Self.create(#"{"name":"web","image":"busybox"}"#))
        #expect(plain == LXD.InstancesPost(name: "web", type: "container", profiles: ["default"], config: [:], source: .init(alias: "busybox")))

        let fingerprint = String(repeating: "ab", count: 32)
        let full = try InstanceRequests.validated(try Self.create(
            ##"{"name":"db","image":"\##(fingerprint)","type":"virtual-machine","profiles":["default","big"],"limits":{"cpu":"0-3,6","memory":"2GiB"},"user_data":"#cloud-config"}"##))
        #expect(full.type == "virtual-machine")
        #expect(full.profiles == ["default", "big"])
        #expect(full.source == .init(alias: nil, fingerprint: fingerprint))
        #expect(full.config == ["limits.cpu": "0-3,6", "limits.memory": "2GiB", "user.user-data": "#cloud-config"])

        // LXD's JSON: nil fields are left out, so the server applies its own defaults.
        let json = String(decoding: try JSONEncoder().encode(plain.source), as: UTF8.self)
        #expect(json.contains(#""alias":"busybox""#) && !json.contains("fingerprint"))
    }

    @Test("create requests LXD would refuse are refused first, each with its rule", arguments: [
        (#"{"name":"1bad","image":"busybox"}"#, "invalid_name"),
        (#"{"name":"ok","image":"busybox","type":"vm"}"#, "invalid_type"),
        (#"{"name":"ok","image":""}"#, "invalid_image"),
        (#"{"name":"ok","image":"bad image"}"#, "invalid_image"),
        (#"{"name":"ok","image":"busybox","profiles":["a/b"]}"#, "invalid_profile"),
        (#"{"name":"ok","image":"busybox","limits":{"cpu":"two"}}"#, "invalid_limits"),
        (#"{"name":"ok","image":"busybox","limits":{"memory":"2 GB"}}"#, "invalid_limits"),
    ])
    func createRefusals(json: String, code: String) throws {
        let request = try Self.create(json)
        #expect(Self.refusal { try InstanceRequests.validated(request) } == code)
    }

    @Test("cloud-init data over 64 KiB is refused")
    func userDataLimit() throws {
        let request = try Self.create(#"{"name":"ok","image":"busybox","user_data":"\#(String(repeating: "x", count: 64 * 1024 + 1))"}"#)
        #expect(Self.refusal { try InstanceRequests.validated(request) } == "invalid_user_data")
    }

    @Test("state changes: known actions only, timeout in range, force off and 30 s unless asked")
    func stateChanges() throws {
        #expect(try InstanceRequests.validated(InstanceRequests.StateChange(action: "stop")) == LXD.InstanceStatePut(action: "stop", force: false, timeout: 30))
        #expect(try InstanceRequests.validated(InstanceRequests.StateChange(action: "restart", force: true, timeout: 0))
                == LXD.InstanceStatePut(action: "restart", force: true, timeout: 0))
        #expect(Self.refusal { try InstanceRequests.validated(InstanceRequests.StateChange(action: "explode")) } == "invalid_action")
        #expect(Self.refusal { try InstanceRequests.validated(InstanceRequests.StateChange(action: "stop", timeout: 3601)) } == "invalid_timeout")
    }

    @Test("the list filter reads the query and refuses what it cannot mean")
    func filterQuery() throws {
        let id = UUID()
        let query = ["cluster": id.uuidString, "project": "p1", "status": "running", "type": "container", "name": "web"]
        #expect(try InstanceFilter { query[$0] } == InstanceFilter(cluster: id, project: "p1", status: "running", type: "container", name: "web"))
        #expect(try InstanceFilter { _ in "" } == InstanceFilter())
        for (key, value, code) in [("cluster", "abc", "invalid_cluster"), ("project", "a/b", "invalid_project"), ("status", "sleeping", "invalid_status"),
                                   ("type", "vm", "invalid_type"), ("name", String(repeating: "n", count: 64), "invalid_name")] {
            #expect(Self.refusal { try InstanceFilter { $0 == key ? value : nil } } == code, "\(key)=\(value)")
        }
    }

    @Test("the list filter keeps status ignoring case, type exactly, names by substring")
    func filterKeeps() {
        let web = InstanceSummary(clusterID: UUID(), clusterName: "a", project: "default", name: "Web-1", type: "container", status: "Running",
                                  description: nil, createdAt: nil, location: nil, image: nil)
        #expect(InstanceFilter().keeps(web))
        #expect(InstanceFilter(status: "running", type: "container", name: "web").keeps(web))
        #expect(!InstanceFilter(status: "stopped").keeps(web))
        #expect(!InstanceFilter(type: "virtual-machine").keeps(web))
        #expect(!InstanceFilter(name: "db").keeps(web))
    }

    @Test("LXD's instance becomes a summary: project fallback, no empty description, no `none` location, image description")
    func summaryMapping() throws {
        let cluster = Cluster(id: UUID(), name: "site-a", description: "", endpoint: "https://127.0.0.1:8443", serverFingerprint: "f", clientFingerprint: "c",
                              ownerID: nil, ownerName: nil, createdAt: Date(), updatedAt: Date())
        let lxd = try JSONDecoder().decode(LXD.Instance.self, from: Data(#"""
            {"name":"web","status":"Running","type":"container","description":"","location":"none","created_at":"2026-11-30T10:00:00Z",
             "config":{},"expanded_config":{"image.description":"busybox test"}}
            """#.utf8))
        let summary = InstanceService.summary(lxd, cluster: cluster, project: "p1")
        #expect(summary == InstanceSummary(clusterID: cluster.id, clusterName: "site-a", project: "p1", name: "web", type: "container", status: "Running",
                                           description: nil, createdAt: "2026-11-30T10:00:00Z", location: nil, image: "busybox test"))
        var clustered = lxd
        clustered.project = "other"
        clustered.location = "member-2"
        clustered.description = "front end"
        let other = InstanceService.summary(clustered, cluster: cluster, project: nil)
        #expect((other.project, other.location, other.description) == ("other", "member-2", "front end"))
        #expect(InstanceService.summary(lxd, cluster: cluster, project: nil).project == "default")
    }

    @Test("the lists' lean reading of an instance says what the full one says, config's image description before the expanded one's", arguments: [
        #"{"name":"web","status":"Running","type":"container","description":"d","location":"m1","created_at":"2026-11-30T10:00:00Z","project":"p","config":{"image.description":"own","limits.cpu":"2"},"expanded_config":{"image.description":"profile"},"devices":{"root":{"path":"/","type":"disk"}},"profiles":["default"]}"#,
        #"{"name":"db","status":"Stopped","config":{"limits.cpu":"2"},"expanded_config":{"image.description":"profile"}}"#,
        #"{"name":"vm","status":"Frozen","type":"virtual-machine","config":null}"#,
        #"{"name":"bare","status":"Error"}"#,
    ])
    func leanReading(json: String) throws {
        let cluster = Cluster(id: UUID(), name: "site-a", description: "", endpoint: "https://127.0.0.1:8443", serverFingerprint: "f", clientFingerprint: "c",
                              ownerID: nil, ownerName: nil, createdAt: Date(), updatedAt: Date())
        let full = try JSONDecoder().decode(LXD.Instance.self, from: Data(json.utf8))
        let lean = try JSONDecoder().decode(LXD.ListedInstance.self, from: Data(json.utf8))
        #expect(InstanceService.summary(lean, cluster: cluster, project: nil) == InstanceService.summary(full, cluster: cluster, project: nil))
    }

    @Test("a cluster's failures are answered by who is at fault", arguments: [
        (ClusterError.unreachable("127.0.0.1:1: Connection refused"), 502, "cluster_unreachable", "unreachable"),
        (ClusterError.timeout(seconds: 5), 504, "cluster_timeout", "timeout"),
        (ClusterError.tls("handshake"), 502, "cluster_tls_failed", "unreachable"),
        (ClusterError.badResponse("not JSON"), 502, "cluster_bad_response", "error"),
        (ClusterError.server(status: 404, message: "Instance not found"), 404, "not_found", "error"),
        (ClusterError.server(status: 409, message: "busy"), 409, "conflict", "error"),
        (ClusterError.server(status: 400, message: "bad config"), 422, "cluster_rejected", "error"),
        (ClusterError.server(status: 403, message: "not authorized"), 502, "cluster_forbidden", "error"),
        (ClusterError.server(status: 500, message: "oops"), 502, "cluster_error", "error"),
    ])
    func clusterErrors(error: ClusterError, status: Int, code: String, reach: String) {
        #expect(error.apiError.status.code == status)
        #expect(error.apiError.code == code)
        #expect(error.reach == reach)
        #expect(error.apiError.message.contains(error.description.split(separator: ":").last.map(String.init) ?? "?"))
    }

    @Test("the secret store's and the CA's failures are answered without secrets")
    func storeErrors() {
        #expect(SecretStoreError.unavailable(code: "vault_sealed", message: "Vault is sealed").apiError.status == .serviceUnavailable)
        #expect(SecretStoreError.versionConflict(expected: 0, current: 2).apiError.code == "version_conflict")
        #expect(SecretStoreError.denied(path: "clusters/x").apiError.status == .forbidden)
        #expect(!SecretStoreError.corrupted(path: "clusters/secret-name").apiError.message.contains("secret-name"))
        #expect(CertificateAuthorityError.unknownSerial("ab").apiError.status == .notFound)
        #expect(Self.refusal { try CertificateRequest(commonName: "", ttl: .seconds(60)) } == "invalid_certificate_request")
        #expect(Self.refusal { try TrustToken("not a token") } == "invalid_trust_token")
    }

    @Test("quota amounts read as LXD reads them", arguments: [
        ("2", Int64(2)), ("0-3", 4), ("0-3,6", 5), ("1,3,5", 3), ("3-1", nil), ("a", nil), ("1-2-3", nil),
    ])
    func cpuCounts(text: String, count: Int64?) {
        #expect(InstanceQuota.cpus(text) == count)
    }

    @Test("sizes read in LXD's units", arguments: [
        ("512MiB", Int64(512 << 20)), ("2GB", 2_000_000_000), ("1024", 1024), ("1kB", 1000), ("3TiB", Int64(3) << 40),
        ("50%", nil), ("lots", nil), ("999999999999999PiB", nil),
    ])
    func sizes(text: String, bytes: Int64?) {
        #expect(InstanceQuota.bytes(text) == bytes)
    }

    @Test("the dry run names each limit it would hit and each size a limited resource needs; an unlimited one always fits")
    func dryRun() {
        let state = LXD.ProjectState(resources: [
            "instances": .init(limit: 3, usage: 1), "containers": .init(limit: -1, usage: 1), "cpu": .init(limit: 2, usage: 2),
            "memory": .init(limit: 1 << 30, usage: 512 << 20), "disk": .init(limit: 10 << 30, usage: 0),
        ])
        let answer = InstanceQuota.check(.init(type: "container", cpu: 1, memory: 256 << 20, disk: nil), against: state, project: "orc-web")
        #expect(!answer.fits)
        #expect(answer.message.contains("limits.cpu would be exceeded: 2 CPUs of 2 CPUs used, 1 CPU asked, 0 CPUs left"), "\(answer.message)")
        #expect(answer.message.contains("must set limits.disk"), "\(answer.message)")
        #expect(!answer.message.contains("limits.memory") && !answer.message.contains("limits.instances"), "\(answer.message)")
        #expect(answer.resources.first { $0.resource == "memory" }?.remaining == 256 << 20)
        #expect(answer.resources.first { $0.resource == "containers" } == QuotaLine(resource: "containers", limit: nil, usage: 1, requested: 1, remaining: nil, fits: true))
        let fits = InstanceQuota.check(.init(type: "container", cpu: nil, memory: nil, disk: nil),
                                       against: LXD.ProjectState(resources: ["instances": .init(limit: -1, usage: 7)]), project: "default")
        #expect(fits.fits && fits.message == "the instance fits in project default's quota")
    }

    @Test("LXD's quota refusals name the limit; other refusals are not quota errors")
    func quotaRefusals() {
        let cpu = InstanceQuota.refusal(.server(status: 500, message: #"Failed checking if instance creation allowed: Reached maximum aggregate value "2" for "limits.cpu" in project "qt""#))
        #expect(cpu?.status == .conflict && cpu?.code == "quota_exceeded" && cpu?.message.hasPrefix("this would exceed the project's limits.cpu: Reached") == true)
        let count = InstanceQuota.refusal(.server(status: 400, message: #"Reached maximum number of instances in project "qt""#))
        #expect(count?.code == "quota_exceeded" && count?.message.contains("limits.instances") == true)
        let unsized = InstanceQuota.refusal(.server(status: 500, message: #"Instance "q1" in project "qt" has no "size" config set on the root device either directly or via a profile"#))
        #expect(unsized?.status == .unprocessableContent && unsized?.code == "limits_required" && unsized?.message.contains("limits.disk") == true)
        let memory = InstanceQuota.refusal(.server(status: 500, message: #"Instance "q1" in project "qt" has no "limits.memory" config, either directly or via a profile"#))
        #expect(memory?.message.contains("must set limits.memory") == true)
        #expect(InstanceQuota.refusal(.server(status: 500, message: "oops")) == nil)
        #expect(InstanceQuota.refusal(.timeout(seconds: 2)) == nil)
    }
}
