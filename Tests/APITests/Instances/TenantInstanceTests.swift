import Foundation
import Logging
import OrcastraTestSupport
import PostgresNIO
import Testing

@testable import OrcastraAPI

/// Tenants at work on the LXD test bed: a project's operator creates, runs, snapshots and
/// deletes instances in it within its quota, which the dry run reads before LXD is asked and
/// LXD enforces; a viewer sees them; nobody else does, and nobody sees other projects'.
@Suite("Tenants' instances (real LXD)", .serialized)
struct TenantInstanceTests {
    @Test("an operator works inside the project's quota: the dry run names the limit first, LXD refuses past it with a 409 naming it; viewers only look; other tenants see nothing")
    func tenantsWorkInTheirProjects() async throws {
        try await ClusterFixture.run(configure: ClusterFixture.partnersMayUseLoopback) { f in
            let partner = try f.token("partner-t", role: "partner")
            let operatorToken = try f.token("tenant-operator", role: "tenant")
            let viewer = try f.token("tenant-viewer", role: "tenant")
            let stranger = try f.token("tenant-stranger", role: "tenant")
            for token in [operatorToken, viewer, stranger] { _ = try await f.userID(token) }
            let cluster = try await f.register("a", name: "tenants-a", as: partner)
            let suffix = UUID().uuidString.prefix(8).lowercased()
            let (lxdProject, otherLXDProject) = ("orc-tenant-\(suffix)", "orc-other-\(suffix)")
            let (instance, neighbour) = ("t-\(suffix)", "n-\(suffix)")
            defer {
                Task {
                    for (project, name) in [(lxdProject, instance), (lxdProject, instance + "-2"), (otherLXDProject, neighbour)] {
                        try? await LXDTestBed.lxc("a", ["delete", "--force", "--project", project, name])
                    }
                    for project in [lxdProject, otherLXDProject] { try? await LXDTestBed.lxc("a", ["project", "delete", project]) }
                }
            }
            let (_, organization) = try await f.call(.post, "/api/v1/organizations", as: partner, json: #"{"name":"Tenants Inc"}"#)
            let org = try #require(organization["id"]?.string)
            let (created, project) = try await f.call(.post, "/api/v1/organizations/\(org)/projects", as: partner, json: """
                {"name":"Shop","cluster_id":"\(cluster)","lxd_project":"\(lxdProject)","limits":{"instances":1,"cpu":1,"memory":"256MiB","disk":"1GiB"}}
                """)
            #expect(created == .created, "\(project)")
            let id = try #require(project["id"]?.string)
            let (_, other) = try await f.call(.post, "/api/v1/organizations/\(org)/projects", as: partner,
                                              json: #"{"name":"Other","cluster_id":"\#(cluster)","lxd_project":"\#(otherLXDProject)"}"#)
            #expect(other["id"]?.string != nil, "\(other)")
            for (user, role) in [("tenant-operator", "operator"), ("tenant-viewer", "viewer")] {
                #expect(try await f.call(.post, "/api/v1/projects/\(id)/members", as: partner, json: #"{"user":"\#(user)","role":"\#(role)"}"#).0 == .created)
            }
            let create = "/api/v1/projects/\(id)/instances"
            let fitting = #"{"name":"\#(instance)","image":"busybox","limits":{"cpu":"1","memory":"128MiB","disk":"300MiB"}}"#

            // The dry run reads the quota from LXD and creates nothing.
            let (dryStatus, dry) = try await f.call(.post, create + "?dry_run=true", as: operatorToken, json: fitting)
            #expect(dryStatus == .ok && dry["fits"] == .bool(true) && dry["project"]?.string == lxdProject, "\(dry)")
            let instances = dry["resources"]?.items?.first { $0["resource"]?.string == "instances" }
            #expect(instances?["limit"]?.number == 1 && instances?["remaining"]?.number == 0, "\(dry)")
            let (_, tooBig) = try await f.call(.post, create + "?dry_run=true", as: operatorToken,
                                               json: #"{"name":"\#(instance)","image":"busybox","limits":{"cpu":"1","memory":"512MiB","disk":"300MiB"}}"#)
            #expect(tooBig["fits"] == .bool(false) && tooBig["message"]?.string?.contains("limits.memory would be exceeded: 0 bytes of 256MiB used, 512MiB asked") == true, "\(tooBig)")
            let (_, unsized) = try await f.call(.post, create + "?dry_run=true", as: operatorToken, json: #"{"name":"\#(instance)","image":"busybox","limits":{"cpu":"1","memory":"128MiB"}}"#)
            #expect(unsized["fits"] == .bool(false) && unsized["message"]?.string?.contains("limits.disk") == true, "\(unsized)")
            #expect(try await LXDTestBed.lxc("a", ["list", "--project", lxdProject, "--format", "csv"]).output.isEmpty, "the dry run created nothing")

            // Only the project's operators create in it; the body cannot point elsewhere.
            #expect(try await f.call(.post, create, as: viewer, json: fitting).0 == .forbidden)
            #expect(try await f.call(.post, create, as: stranger, json: fitting).0 == .notFound)
            #expect(try await f.call(.post, "/api/v1/clusters/\(cluster)/instances", as: operatorToken, json: fitting).0 == .notFound)
            let (elsewhere, elsewhereBody) = try await f.call(.post, create, as: operatorToken,
                                                               json: #"{"name":"x","image":"busybox","project":"\#(otherLXDProject)"}"#)
            #expect(elsewhere == .unprocessableContent && elsewhereBody["error"]?["code"]?.string == "invalid_project", "\(elsewhereBody)")

            let made = try await f.operate(.post, create, as: operatorToken, json: fitting)
            #expect(made["status"]?.string == "success", "\(made)")
            let root = try await LXDTestBed.lxc("a", ["config", "device", "get", instance, "root", "size", "--project", lxdProject])
            #expect(root.output.trimmingCharacters(in: .whitespacesAndNewlines) == "300MiB")
            try await f.operate(.post, "/api/v1/clusters/\(cluster)/instances", as: partner,
                                json: #"{"name":"\#(neighbour)","image":"busybox","project":"\#(otherLXDProject)"}"#)

            // LXD's own refusal past the quota, as a 409 naming the limit.
            let (over, overBody) = try await f.call(.post, create, as: operatorToken,
                                                    json: #"{"name":"\#(instance)-2","image":"busybox","limits":{"cpu":"1","memory":"64MiB","disk":"100MiB"}}"#)
            #expect(over == .conflict && overBody["error"]?["code"]?.string == "quota_exceeded"
                    && overBody["error"]?["message"]?.string?.contains("limits.instances") == true, "\(overBody)")

            // Each sees the instances of their projects and nothing else.
            func listed(_ token: String) async throws -> [String] {
                let (status, list) = try await f.call(.get, "/api/v1/instances", as: token)
                #expect(status == .ok, "\(list)")
                return (list["items"]?.items ?? []).compactMap { item in item["name"]?.string.map { "\(item["project"]?.string ?? "?")/\($0)" } }
            }
            #expect(try await listed(operatorToken) == ["\(lxdProject)/\(instance)"])
            #expect(try await listed(viewer) == ["\(lxdProject)/\(instance)"])
            #expect(try await listed(stranger).isEmpty)
            #expect(Set(try await listed(partner)).isSuperset(of: ["\(lxdProject)/\(instance)", "\(otherLXDProject)/\(neighbour)"]))

            let path = "/api/v1/clusters/\(cluster)/instances/\(instance)?project=\(lxdProject)"
            let statePath = "/api/v1/clusters/\(cluster)/instances/\(instance)/state?project=\(lxdProject)"
            #expect(try await f.call(.get, path, as: viewer).0 == .ok)
            #expect(try await f.call(.get, path, as: stranger).0 == .notFound)
            #expect(try await f.call(.get, "/api/v1/clusters/\(cluster)/instances/\(neighbour)?project=\(otherLXDProject)", as: operatorToken).0 == .notFound)
            let (viewerStart, viewerStartBody) = try await f.call(.put, statePath, as: viewer, json: #"{"action":"start"}"#)
            #expect(viewerStart == .forbidden && viewerStartBody["error"]?["message"]?.string?.contains("viewer role does not hold can_update_state") == true, "\(viewerStartBody)")

            let started = try await f.operate(.put, statePath, as: operatorToken, json: #"{"action":"start"}"#)
            #expect(started["status"]?.string == "success", "\(started)")
            let startedID = try #require(started["id"]?.string)
            #expect(try await f.call(.get, "/api/v1/operations/\(startedID)", as: viewer).0 == .ok, "a project's viewers follow its operations")
            #expect(try await f.call(.get, "/api/v1/operations/\(startedID)", as: stranger).0 == .notFound)
            let snapshot = try await f.operate(.post, "/api/v1/clusters/\(cluster)/instances/\(instance)/snapshots?project=\(lxdProject)", as: operatorToken,
                                               json: #"{"name":"before"}"#)
            #expect(snapshot["status"]?.string == "success", "\(snapshot)")
            #expect(try await f.call(.delete, path + "&force=true", as: viewer).0 == .forbidden)
            let deleted = try await f.operate(.delete, path + "&force=true", as: operatorToken)
            #expect(deleted["status"]?.string == "success", "\(deleted)")

            // Tenants' calls go with the project's own certificate: once the cluster stops
            // trusting it, they fail, while the partner's (the cluster's certificate) still work.
            let projectID = try #require(UUID(uuidString: id))
            let fingerprint = try #require(try await f.h.sql { sql in
                try await sql.boundedQuery("SELECT client_fingerprint FROM projects WHERE id = \(projectID)", logger: Logger(label: "test")).decode(String?.self).all().first ?? nil
            })
            try await LXDTestBed.lxc("a", ["config", "trust", "remove", fingerprint])
            let (_, cut) = try await f.call(.get, "/api/v1/instances", as: viewer)
            #expect(cut["clusters"]?.items?.first?["status"]?.string == "error", "\(cut)")
            let (_, partnersView) = try await f.call(.get, "/api/v1/instances", as: partner)
            #expect(partnersView["clusters"]?.items?.first { $0["id"]?.string == cluster }?["status"]?.string == "ok", "\(partnersView)")

            try await f.operate(.delete, "/api/v1/clusters/\(cluster)/instances/\(neighbour)?project=\(otherLXDProject)&force=true", as: partner)
            for project in [id, try #require(other["id"]?.string)] {
                #expect(try await f.call(.delete, "/api/v1/projects/\(project)", as: partner).0 == .noContent)
            }
            try await f.remove(cluster, as: partner)
        }
    }

    @Test("a grant gives one instance to someone outside its project, as viewer or operator, and goes with the instance")
    func grants() async throws {
        try await ClusterFixture.run(configure: ClusterFixture.partnersMayUseLoopback) { f in
            let partner = try f.token("partner-g", role: "partner")
            let contractor = try f.token("tenant-contractor", role: "tenant")
            let contractorID = try await f.userID(contractor)
            let cluster = try await f.register("a", name: "grants-a", as: partner)
            let suffix = UUID().uuidString.prefix(8).lowercased()
            let lxdProject = "orc-grants-\(suffix)"
            let (granted, other, outside) = ("g-\(suffix)", "o-\(suffix)", "d-\(suffix)")
            defer {
                Task {
                    for name in [granted, other] { try? await LXDTestBed.lxc("a", ["delete", "--force", "--project", lxdProject, name]) }
                    try? await LXDTestBed.lxc("a", ["delete", "--force", outside])
                    try? await LXDTestBed.lxc("a", ["project", "delete", lxdProject])
                }
            }
            let (_, organization) = try await f.call(.post, "/api/v1/organizations", as: partner, json: #"{"name":"Grants"}"#)
            let org = try #require(organization["id"]?.string)
            let (_, project) = try await f.call(.post, "/api/v1/organizations/\(org)/projects", as: partner,
                                                json: #"{"name":"Grants","cluster_id":"\#(cluster)","lxd_project":"\#(lxdProject)"}"#)
            let id = try #require(project["id"]?.string)
            for name in [granted, other] {
                #expect(try await f.operate(.post, "/api/v1/projects/\(id)/instances", as: partner, json: #"{"name":"\#(name)","image":"busybox"}"#)["status"]?.string == "success")
            }
            let path = "/api/v1/clusters/\(cluster)/instances/\(granted)"
            let grants = path + "/grants?project=\(lxdProject)"
            #expect(try await f.call(.get, path + "?project=\(lxdProject)", as: contractor).0 == .notFound)

            // Viewer: sees that one instance, and only it; may not change it or its grants.
            let (added, addedBody) = try await f.call(.post, grants, as: partner, json: #"{"user":"tenant-contractor","role":"viewer"}"#)
            #expect(added == .created && addedBody["role"]?.string == "viewer", "\(addedBody)")
            #expect(try await f.call(.get, path + "?project=\(lxdProject)", as: contractor).0 == .ok)
            let (_, listed) = try await f.call(.get, "/api/v1/instances", as: contractor)
            #expect(listed["items"]?.items?.compactMap { $0["name"]?.string } == [granted], "\(listed)")
            #expect(try await f.call(.get, "/api/v1/clusters/\(cluster)/instances/\(other)?project=\(lxdProject)", as: contractor).0 == .notFound)
            let (refused, refusedBody) = try await f.call(.put, path + "/state?project=\(lxdProject)", as: contractor, json: #"{"action":"start"}"#)
            #expect(refused == .forbidden && refusedBody["error"]?["message"]?.string?.contains("granted viewer") == true, "\(refusedBody)")
            #expect(try await f.call(.get, grants, as: contractor).0 == .forbidden)

            // Operator: runs it, with the project's own certificate.
            #expect(try await f.call(.post, grants, as: partner, json: #"{"user":"\#(contractorID)","role":"operator"}"#).0 == .ok)
            let started = try await f.operate(.put, path + "/state?project=\(lxdProject)", as: contractor, json: #"{"action":"start"}"#)
            #expect(started["status"]?.string == "success", "\(started)")
            let (_, who) = try await f.call(.get, "/api/v1/access/who?resource=instance:\(cluster)/\(lxdProject)/\(granted)", as: partner)
            #expect(who["holders"]?.items?.first { $0["user_id"]?.string == contractorID }?["entitlements"]?.items?.count == 4, "\(who)")

            // Taken back: gone again. Given again, then the instance deleted: the grant goes with it.
            #expect(try await f.call(.delete, "/api/v1/clusters/\(cluster)/instances/\(granted)/grants/\(contractorID)?project=\(lxdProject)", as: partner).0 == .noContent)
            #expect(try await f.call(.get, path + "?project=\(lxdProject)", as: contractor).0 == .notFound)
            #expect(try await f.call(.post, grants, as: partner, json: #"{"user":"tenant-contractor","role":"viewer"}"#).0 == .created)
            try await f.operate(.delete, path + "?project=\(lxdProject)&force=true", as: partner)
            let left = try await f.h.sql { sql in
                try await sql.boundedQuery("SELECT count(*) FROM instance_grants", logger: Logger(label: "test")).decode(Int.self).all().first ?? -1
            }
            #expect(left == 0)

            // Outside Orcastra's projects there is nothing to grant through.
            try await f.operate(.post, "/api/v1/clusters/\(cluster)/instances", as: partner, json: #"{"name":"\#(outside)","image":"busybox"}"#)
            let (notInProject, notInProjectBody) = try await f.call(.post, "/api/v1/clusters/\(cluster)/instances/\(outside)/grants", as: partner,
                                                                    json: #"{"user":"tenant-contractor","role":"viewer"}"#)
            #expect(notInProject == .unprocessableContent && notInProjectBody["error"]?["code"]?.string == "not_in_a_project", "\(notInProjectBody)")
            try await f.operate(.delete, "/api/v1/clusters/\(cluster)/instances/\(outside)?force=true", as: partner)
            try await f.operate(.delete, "/api/v1/clusters/\(cluster)/instances/\(other)?project=\(lxdProject)&force=true", as: partner)
            #expect(try await f.call(.delete, "/api/v1/projects/\(id)", as: partner).0 == .noContent)
            try await f.remove(cluster, as: partner)
        }
    }
}
