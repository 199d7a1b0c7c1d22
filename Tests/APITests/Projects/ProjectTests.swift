import Foundation
import Logging
import OrcastraTestSupport
import PostgresNIO
import Testing

@testable import OrcastraAPI

/// Projects on the LXD test bed: each is an LXD project whose limits LXD itself enforces.
@Suite("Projects (real LXD)", .serialized)
struct ProjectTests {
    /// JSON of `lxc query` against daemon `daemon`.
    static func query(_ daemon: String, _ path: String) async throws -> JSONValue {
        try JSONValue.parse(try await LXDTestBed.lxc(daemon, ["query", path]).output)
    }

    @Test("a partner's project is an LXD project with the quota as limits.*; LXD refuses what exceeds it; deletion is refused while anything is inside, and removes the LXD project after")
    func lifecycle() async throws {
        try await ClusterFixture.run(configure: ClusterFixture.partnersMayUseLoopback) { f in
            let partner = try f.token("partner-p", role: "partner")
            let other = try f.token("partner-q", role: "partner")
            let cluster = try await f.register("a", name: "projects-a", as: partner)
            let lxdProject = "orc-web-shop-\(UUID().uuidString.prefix(8).lowercased())"
            let instance = "quota-\(UUID().uuidString.prefix(8).lowercased())"
            defer {
                Task {
                    try? await LXDTestBed.lxc("a", ["delete", "--force", "--project", lxdProject, instance])
                    try? await LXDTestBed.lxc("a", ["project", "delete", lxdProject])
                }
            }
            let (_, organization) = try await f.call(.post, "/api/v1/organizations", as: partner, json: #"{"name":"Acme"}"#)
            let org = try #require(organization["id"]?.string)

            // Another partner can use neither this organization nor this cluster.
            let (_, theirs) = try await f.call(.post, "/api/v1/organizations", as: other, json: #"{"name":"Initech"}"#)
            let theirOrg = try #require(theirs["id"]?.string)
            #expect(try await f.call(.post, "/api/v1/organizations/\(org)/projects", as: other,
                                     json: #"{"name":"x","cluster_id":"\#(cluster)"}"#).0 == .notFound)
            #expect(try await f.call(.post, "/api/v1/organizations/\(theirOrg)/projects", as: other,
                                     json: #"{"name":"x","cluster_id":"\#(cluster)"}"#).0 == .notFound)

            let (bad, badBody) = try await f.call(.post, "/api/v1/organizations/\(org)/projects", as: partner,
                                                  json: #"{"name":"Web shop","cluster_id":"\#(cluster)","limits":{"memory":"lots"}}"#)
            #expect(bad == .unprocessableContent && badBody["error"]?["code"]?.string == "invalid_limits", "\(badBody)")

            let (created, project) = try await f.call(.post, "/api/v1/organizations/\(org)/projects", as: partner, json: """
                {"name":"Web shop","cluster_id":"\(cluster)","lxd_project":"\(lxdProject)","limits":{"instances":1,"cpu":2,"memory":"512MiB"}}
                """)
            #expect(created == .created, "\(project)")
            let id = try #require(project["id"]?.string)
            let onLXD = try await Self.query("a", "/1.0/projects/\(lxdProject)")
            #expect(onLXD["config"]?["limits.instances"]?.string == "1" && onLXD["config"]?["limits.memory"]?.string == "512MiB", "\(onLXD)")
            #expect(try await f.call(.get, "/api/v1/projects/\(id)", as: other).0 == .notFound)
            let (_, detail) = try await f.call(.get, "/api/v1/projects/\(id)", as: partner)
            let instancesUsage = detail["usage"]?.items?.first { $0["resource"]?.string == "instances" }
            #expect(instancesUsage?["limit"]?.number == 1 && instancesUsage?["usage"]?.number == 0, "\(detail)")

            // One instance fits; a second is refused by LXD, which names the limit.
            let first = try await f.operate(.post, "/api/v1/clusters/\(cluster)/instances", as: partner, json: """
                {"name":"\(instance)","image":"busybox","project":"\(lxdProject)","limits":{"cpu":"1","memory":"128MiB"}}
                """)
            #expect(first["status"]?.string == "success", "\(first)")
            let (secondStatus, second) = try await f.call(.post, "/api/v1/clusters/\(cluster)/instances", as: partner, json: """
                {"name":"\(instance)-2","image":"busybox","project":"\(lxdProject)","limits":{"cpu":"1","memory":"128MiB"}}
                """)
            let refusal: String
            if secondStatus == .accepted, let operation = second["id"]?.string {
                let ended = try await f.follow(operation, as: partner)
                #expect(ended["status"]?.string == "failure", "\(ended)")
                refusal = ended["error"]?.string ?? ""
            } else {
                refusal = second["error"]?["message"]?.string ?? ""
            }
            #expect(refusal.localizedCaseInsensitiveContains("limit") || refusal.localizedCaseInsensitiveContains("instances"), "LXD's refusal: \(second) \(refusal)")

            // Nothing holding an instance can go, and the answer names what is in the way.
            let (notEmpty, notEmptyBody) = try await f.call(.delete, "/api/v1/projects/\(id)", as: partner)
            #expect(notEmpty == .conflict && notEmptyBody["error"]?["message"]?.string?.contains(instance) == true, "\(notEmptyBody)")
            let (orgBusy, orgBusyBody) = try await f.call(.delete, "/api/v1/organizations/\(org)", as: partner)
            #expect(orgBusy == .conflict && orgBusyBody["error"]?["message"]?.string?.contains("Web shop") == true, "\(orgBusyBody)")
            let (clusterBusy, clusterBusyBody) = try await f.call(.delete, "/api/v1/clusters/\(cluster)", as: partner)
            #expect(clusterBusy == .conflict && clusterBusyBody["error"]?["code"]?.string == "cluster_not_empty", "\(clusterBusyBody)")

            // A quota below what is used is LXD's to refuse; one above is applied there.
            let (lowered, loweredBody) = try await f.call(.patch, "/api/v1/projects/\(id)", as: partner, json: #"{"limits":{"instances":0}}"#)
            #expect(lowered == .unprocessableContent && loweredBody["error"]?["code"]?.string == "quota_below_usage"
                    && loweredBody["error"]?["message"]?.string?.contains("limits.instances") == true, "\(loweredBody)")
            let (raised, raisedBody) = try await f.call(.patch, "/api/v1/projects/\(id)", as: partner, json: #"{"name":"Web shop 2","limits":{"instances":3}}"#)
            // `limits` replaces the quota whole: the CPU and memory limits are gone.
            #expect(raised == .ok && raisedBody["limits"]?["instances"]?.number == 3 && raisedBody["limits"]?["cpu"] == nil, "\(raisedBody)")
            #expect(try await Self.query("a", "/1.0/projects/\(lxdProject)")["config"]?["limits.instances"]?.string == "3")

            try await f.operate(.delete, "/api/v1/clusters/\(cluster)/instances/\(instance)?project=\(lxdProject)&force=true", as: partner)
            #expect(try await f.call(.delete, "/api/v1/projects/\(id)", as: partner).0 == .noContent)
            let projects = try await Self.query("a", "/1.0/projects")
            #expect(projects.items?.contains { $0.string == "/1.0/projects/\(lxdProject)" } == false, "\(projects)")
            #expect(try await f.call(.delete, "/api/v1/organizations/\(org)", as: partner).0 == .noContent)

            let actions = try await f.h.sql { sql in
                try await sql.boundedQuery("SELECT action FROM audit_events WHERE action LIKE 'project.%' ORDER BY seq", logger: .init(label: "test"))
                    .decode(String.self).all()
            }
            #expect(actions == ["project.create", "project.update", "project.delete"])
            try await f.remove(cluster, as: partner)
        }
    }

    @Test("each project has its own certificate, which LXD trusts inside the project's LXD project only and forgets with the project")
    func restrictedCertificate() async throws {
        try await ClusterFixture.run(configure: ClusterFixture.partnersMayUseLoopback) { f in
            let partner = try f.token("partner-r", role: "partner")
            let cluster = try await f.register("a", name: "restricted-a", as: partner)
            let suffix = UUID().uuidString.prefix(8).lowercased()
            let (lxdProject, otherLXDProject) = ("orc-own-\(suffix)", "orc-else-\(suffix)")
            defer {
                Task { for project in [lxdProject, otherLXDProject] { try? await LXDTestBed.lxc("a", ["project", "delete", project]) } }
            }
            let (_, organization) = try await f.call(.post, "/api/v1/organizations", as: partner, json: #"{"name":"Restricted"}"#)
            let org = try #require(organization["id"]?.string)
            var ids: [String] = []
            for name in [lxdProject, otherLXDProject] {
                let (status, project) = try await f.call(.post, "/api/v1/organizations/\(org)/projects", as: partner,
                                                         json: #"{"name":"\#(name)","cluster_id":"\#(cluster)","lxd_project":"\#(name)"}"#)
                #expect(status == .created, "\(project)")
                ids.append(try #require(project["id"]?.string))
            }
            let (projectID, clusterID) = (try #require(UUID(uuidString: ids[0])), try #require(UUID(uuidString: cluster)))

            // The cluster trusts the project's certificate, restricted to its LXD project.
            let fingerprint = try #require(try await f.h.sql { sql in
                try await sql.boundedQuery("SELECT client_fingerprint FROM projects WHERE id = \(projectID)", logger: Logger(label: "test")).decode(String?.self).all().first ?? nil
            })
            let trusted = try await Self.query("a", "/1.0/certificates/\(fingerprint)")
            #expect(trusted["restricted"] == .bool(true) && trusted["projects"]?.items?.map(\.string) == [lxdProject], "\(trusted)")

            // With it, LXD itself answers inside the project and refuses everywhere else.
            let stored = try await f.h.sql { sql in
                let secrets = EmbeddedSecretStore(client: sql, cipher: try SecretCipher(masterKey: testMasterKey), logger: Logger(label: "test"))
                return (try await secrets.read(try ClusterConnections.secretPath(clusterID, project: projectID))?.data,
                        try await secrets.read(try ClusterConnections.secretPath(clusterID))?.data)
            }
            let certificate = try #require(stored.0), server = try #require(stored.1.flatMap(ClusterCredentials.init(stored:)))
            let endpoint = try #require(try await Self.query("a", "/1.0")["config"]?["core.https_address"]?.string)
            let driver = try ClusterDriver(endpoint: "https://\(endpoint)", credentials: ClusterCredentials(
                certificatePEM: try #require(certificate["certificate"]), privateKeyPEM: try #require(certificate["private_key"]),
                serverCertificatePEM: server.serverCertificatePEM), connectTimeout: .seconds(5), timeout: .seconds(10))
            #expect(try await driver.useProject(lxdProject).instances().isEmpty)
            for elsewhere in [otherLXDProject, "default"] {
                do {
                    _ = try await driver.useProject(elsewhere).instances()
                    Issue.record("LXD let the certificate of \(lxdProject) list the instances of \(elsewhere)")
                } catch let error as ClusterError {
                    guard case .server(let status, _) = error else { Issue.record("not LXD's refusal: \(error)"); continue }
                    #expect(status == 403, "\(error)")
                }
            }

            // The project goes with its certificate: out of the trust store and the secret store.
            for id in ids { #expect(try await f.call(.delete, "/api/v1/projects/\(id)", as: partner).0 == .noContent) }
            let certificates = try await Self.query("a", "/1.0/certificates")
            #expect(certificates.items?.contains { $0.string?.hasSuffix(fingerprint) == true } == false, "\(certificates)")
            let left = try await f.h.sql { sql in
                try await EmbeddedSecretStore(client: sql, cipher: try SecretCipher(masterKey: testMasterKey), logger: Logger(label: "test"))
                    .read(try ClusterConnections.secretPath(clusterID, project: projectID))
            }
            #expect(left == nil)
            #expect(try await f.call(.delete, "/api/v1/organizations/\(org)", as: partner).0 == .noContent)
            try await f.remove(cluster, as: partner)
        }
    }
}
