import Foundation
import HTTPTypes
import OrcastraTestSupport
import Testing

@testable import OrcastraAPI

/// Every route of the access table, called by every kind of caller, against one small world on
/// the LXD test bed: a partner's cluster, organization, two projects (one with an instance),
/// their members. What each caller should get is written here from the product's rules, not
/// read from the `Authorizer`, so the two check each other:
///
/// - the admin may do everything;
/// - the partner who owns the cluster and the organization may do everything with them;
/// - another partner, and a tenant of the other project, learn nothing (404) of them;
/// - the project's operator and viewer hold their role's rights in the project (403 beyond);
/// - server-wide rights are the admin's (and partners' for clusters and organizations), 403 otherwise.
///
/// Each caller calls with a token and with an API key of their own. Requests are made harmless
/// (bodies that fail validation, deletes of things that are not empty, names that do not
/// exist), so that "let in" shows as the handler's own answer and the world stays as it was.
/// A route added without an entry in `requests` fails the test.
@Suite("Access matrix (real LXD)", .serialized)
struct AccessMatrixTests {
    enum Caller: String, CaseIterable {
        case admin, owner = "owning partner", otherPartner = "another partner", projectOperator = "project operator",
             viewer = "project viewer", outsider = "tenant of another project"
    }

    enum Outcome: Equatable { case allowed, forbidden, hidden }

    /// The kinds of resource a route's requirement names.
    enum Kind { case server, cluster, organization, project, instance, operation }

    /// What `caller` should get asking for `entitlement` on the world's resource of `kind`.
    static func expected(_ caller: Caller, _ entitlement: Entitlement, on kind: Kind) -> Outcome {
        if caller == .admin { return .allowed }
        let operatorOnProject: Set<Entitlement> = [.canView, .canCreateInstances, .canUpdateState, .canManageSnapshots]
        let operatorOnInstances: Set<Entitlement> = [.canView, .canUpdateState, .canManageSnapshots, .canDelete]
        switch kind {
        case .server:
            let partnerRights: Set<Entitlement> = [.canManageClusters, .canCreateOrganizations]
            return [.owner, .otherPartner].contains(caller) && partnerRights.contains(entitlement) ? .allowed : .forbidden
        case .cluster, .organization:
            return caller == .owner ? .allowed : .hidden
        case .project, .instance, .operation:
            switch caller {
            case .admin, .owner: return .allowed
            case .otherPartner, .outsider: return .hidden
            case .projectOperator: return (kind == .project ? operatorOnProject : operatorOnInstances).contains(entitlement) ? .allowed : .forbidden
            case .viewer: return entitlement == .canView ? .allowed : .forbidden
            }
        }
    }

    /// The world the routes are called against.
    struct World {
        var cluster: String
        var organization: String
        var project: String
        var lxdProject: String
        var otherProject: String
        var instance: String
        var operation: String

        func kind(of target: AccessTarget) -> Kind {
            switch target {
            case .server: .server
            case .cluster: .cluster
            case .organization: .organization
            case .project, .named: .project
            case .instance: .instance
            case .operation: .operation
            }
        }

        /// How the authorizer names the resource in a 404, for telling its refusals from the
        /// handlers' own answers.
        func description(of kind: Kind) -> String {
            switch kind {
            case .server: "server"
            case .cluster: "cluster \(self.cluster)"
            case .organization: "organization \(self.organization)"
            case .project: "project \(self.project)"
            case .instance: "instance \(self.instance) in project \(self.lxdProject) of cluster \(self.cluster)"
            case .operation: "operation \(self.operation)"
            }
        }
    }

    /// A harmless request for each route (`METHOD /path/{param}`): the query and body to send.
    /// Path parameters are the world's (`{id}` by the route's first segment, `{name}` its instance).
    static func requests(_ w: World) -> [String: (query: String, body: String?)] {
        let inProject = "project=\(w.lxdProject)"
        return [
            "GET /api/v1/access/explain": ("user=admin-m&entitlement=can_view&resource=project:\(w.project)", nil),
            "GET /api/v1/access/who": ("resource=project:\(w.project)", nil),
            "GET /api/v1/api-keys": ("", nil),
            "POST /api/v1/api-keys": ("", #"{"name":""}"#),
            "DELETE /api/v1/api-keys/{id}": ("", nil),
            "GET /api/v1/audit-log": ("", nil),
            "GET /api/v1/audit-log/verify": ("", nil),
            "POST /api/v1/auth/login-failures": ("", "{}"),
            "GET /api/v1/clusters": ("", nil),
            "POST /api/v1/clusters": ("", "{}"),
            "DELETE /api/v1/clusters/{id}": ("", nil),
            "GET /api/v1/clusters/{id}": ("", nil),
            "PATCH /api/v1/clusters/{id}": ("", #"{"name":""}"#),
            "GET /api/v1/clusters/{id}/{resource}": ("", nil),
            "GET /api/v1/clusters/{id}/instances": ("", nil),
            "POST /api/v1/clusters/{id}/instances": ("", #"{"name":"Not A Name","image":"busybox"}"#),
            "DELETE /api/v1/clusters/{id}/instances/{name}": (inProject, nil),
            "GET /api/v1/clusters/{id}/instances/{name}": (inProject, nil),
            "PATCH /api/v1/clusters/{id}/instances/{name}": (inProject, #"{"limits":{"cpu":"lots"}}"#),
            "GET /api/v1/clusters/{id}/instances/{name}/snapshots": (inProject, nil),
            "POST /api/v1/clusters/{id}/instances/{name}/snapshots": (inProject, #"{"name":"not a name"}"#),
            "DELETE /api/v1/clusters/{id}/instances/{name}/snapshots/{snapshot}": (inProject, nil),
            "POST /api/v1/clusters/{id}/instances/{name}/snapshots/{snapshot}/restore": (inProject, nil),
            "PUT /api/v1/clusters/{id}/instances/{name}/state": (inProject, #"{"action":"dance"}"#),
            "GET /api/v1/clusters/{id}/instances/{name}/grants": (inProject, nil),
            "POST /api/v1/clusters/{id}/instances/{name}/grants": (inProject, #"{"user":"nobody","role":"boss"}"#),
            "DELETE /api/v1/clusters/{id}/instances/{name}/grants/{user}": (inProject, nil),
            "GET /api/v1/clusters/{id}/status": ("", nil),
            "GET /api/v1/health": ("", nil),
            "GET /api/v1/instances": ("", nil),
            "GET /api/v1/me": ("", nil),
            "GET /api/v1/me/keys": ("", nil),
            "POST /api/v1/me/keys": ("", #"{"name":"x","public_key":"not a key"}"#),
            "DELETE /api/v1/me/keys/{id}": ("", nil),
            "GET /api/v1/openapi.json": ("", nil),
            "GET /api/v1/operations/{id}": ("", nil),
            "GET /api/v1/organizations": ("", nil),
            "POST /api/v1/organizations": ("", #"{"name":""}"#),
            "DELETE /api/v1/organizations/{id}": ("", nil),
            "GET /api/v1/organizations/{id}": ("", nil),
            "PATCH /api/v1/organizations/{id}": ("", #"{"name":""}"#),
            "GET /api/v1/organizations/{id}/projects": ("", nil),
            "GET /api/v1/organizations/{id}/rates": ("", nil),
            "PUT /api/v1/organizations/{id}/rates": ("", #"{"currency":"euro","vcpu_hour":1,"memory_gib_hour":1,"disk_gib_hour":1}"#),
            "POST /api/v1/organizations/{id}/projects": ("", #"{"name":""}"#),
            "GET /api/v1/pki/certs": ("", nil),
            "POST /api/v1/pki/certs": ("", "{}"),
            "POST /api/v1/pki/certs/{serial}/revoke": ("", nil),
            "GET /api/v1/projects": ("", nil),
            "DELETE /api/v1/projects/{id}": ("", nil),
            "GET /api/v1/projects/{id}": ("", nil),
            "PATCH /api/v1/projects/{id}": ("", #"{"name":""}"#),
            "POST /api/v1/projects/{id}/instances": ("", #"{"name":"Not A Name","image":"busybox"}"#),
            "GET /api/v1/projects/{id}/members": ("", nil),
            "POST /api/v1/projects/{id}/members": ("", #"{"user":"nobody","role":"boss"}"#),
            "DELETE /api/v1/projects/{id}/members/{user}": ("", nil),
            "GET /api/v1/reports/usage": ("", nil),
            "GET /api/v1/reports/showback": ("", nil),
            "GET /api/v1/rates/default": ("", nil),
            "PUT /api/v1/rates/default": ("", #"{"currency":"euro","vcpu_hour":1,"memory_gib_hour":1,"disk_gib_hour":1}"#),
            "POST /api/v1/reports/usage/scan": ("", nil),
            "GET /api/v1/secrets/status": ("", nil),
            "GET /api/v1/sessions": ("", nil),
            "POST /api/v1/sessions": ("", "{}"),
            "DELETE /api/v1/sessions/{id}": ("", nil),
            "POST /api/v1/sessions/{id}/logout": ("", nil),
            "POST /api/v1/sessions/{id}/refresh": ("", nil),
            "GET /api/v1/users": ("", nil),
            "GET /api/v1/users/{id}": ("", nil),
            "POST /api/v1/users/sync": ("", nil),
            "GET /health": ("", nil),
        ].mapValues { ($0.0.isEmpty ? "" : "?" + $0.0, $0.1) }
    }

    /// The path with the world's values in: `{id}` by what the path is about, unknown ids for
    /// things the world does not hold (keys, sessions, members, snapshots, serials).
    static func path(_ template: String, _ w: World, unknown: String) -> String {
        let segments = template.split(separator: "/").map(String.init)
        let about = segments.count > 2 ? segments[2] : ""
        let id = switch about {
        case "clusters": w.cluster
        case "organizations": w.organization
        case "projects": w.project
        case "operations": w.operation
        default: unknown
        }
        return template.replacingOccurrences(of: "{id}", with: id).replacingOccurrences(of: "{name}", with: w.instance)
            .replacingOccurrences(of: "{resource}", with: "profiles").replacingOccurrences(of: "{snapshot}", with: "no-such-snapshot")
            .replacingOccurrences(of: "{serial}", with: "00").replacingOccurrences(of: "{user}", with: unknown)
    }

    @Test("every route × every caller, with a token and with an API key, gets what the product's rules say; access/explain and access/who agree")
    func matrix() async throws {
        let rows = try AccessTableTests.built().routes.accessTable.rows
        try await ClusterFixture.run(configure: ClusterFixture.partnersMayUseLoopback) { f in
            let tokens: [Caller: String] = [
                .admin: try f.token("admin-m", role: "admin"), .owner: try f.token("partner-m", role: "partner"),
                .otherPartner: try f.token("partner-n", role: "partner"), .projectOperator: try f.token("tenant-op-m", role: "tenant"),
                .viewer: try f.token("tenant-view-m", role: "tenant"), .outsider: try f.token("tenant-out-m", role: "tenant"),
            ]
            var users: [Caller: String] = [:]
            var keys: [Caller: String] = [:]
            for caller in Caller.allCases {
                let token = try #require(tokens[caller])
                users[caller] = try await f.userID(token)
                let (status, key) = try await f.call(.post, "/api/v1/api-keys", as: token, json: #"{"name":"matrix"}"#)
                #expect(status == .created, "\(key)")
                keys[caller] = try #require(key["key"]?.string, "\(key)")
            }
            let owner = try #require(tokens[.owner])
            let world = try await Self.build(f, owner: owner, operatorToken: try #require(tokens[.projectOperator]))
            defer { Task { await Self.tearDown(world) } }

            let requests = Self.requests(world)
            let unknown = UUID().uuidString.lowercased()
            var checked = 0
            for row in rows {
                let route = "\(row.method.rawValue) \(row.openAPIPath)"
                guard let request = requests[route] else {
                    Issue.record("\(route) is not in the access matrix: add a harmless request for it to AccessMatrixTests.requests")
                    continue
                }
                let path = Self.path(row.openAPIPath, world, unknown: unknown) + request.query
                for caller in Caller.allCases {
                    for (how, credential) in [("token", try #require(tokens[caller])), ("API key", try #require(keys[caller]))] {
                        let (status, body) = try await f.call(row.method, path, as: credential, json: request.body)
                        checked += 1
                        let seen = "\(route) as \(caller.rawValue) (\(how)): \(status.code) \(body)"
                        switch row.requirement {
                        case .open:
                            // Open routes may have their own checks (the gateway's reports need its secret).
                            #expect(!Self.refusedByAuthorizer(status, body), "\(seen)")
                        case .signedIn:
                            #expect(status != .unauthorized && !Self.refusedByAuthorizer(status, body), "\(seen)")
                        case .entitlement(let entitlement, let target):
                            let kind = world.kind(of: target)
                            switch Self.expected(caller, entitlement, on: kind) {
                            case .allowed:
                                #expect(![.unauthorized, .forbidden].contains(status) && !Self.hiddenByAuthorizer(status, body, world.description(of: kind)), "expected to be let in: \(seen)")
                            case .forbidden:
                                #expect(status == .forbidden && body["error"]?["message"]?.string?.hasPrefix("this needs \(entitlement.rawValue)") == true, "expected 403: \(seen)")
                            case .hidden:
                                #expect(Self.hiddenByAuthorizer(status, body, world.description(of: kind)), "expected 404: \(seen)")
                            }
                        }
                    }
                }
            }
            print("access matrix: \(rows.count) routes × \(Caller.allCases.count * 2) callers (\(Caller.allCases.count) roles and relations, each with a token and an API key) = \(checked) calls")
            #expect(checked == rows.count * Caller.allCases.count * 2)

            // The authorizer's own account of it agrees, for every caller and every entitlement
            // on every resource of the world.
            let admin = try #require(tokens[.admin])
            let resources: [(Kind, String)] = [
                (.server, "server"), (.cluster, "cluster:\(world.cluster)"), (.organization, "organization:\(world.organization)"),
                (.project, "project:\(world.project)"), (.instance, "instance:\(world.cluster)/\(world.lxdProject)/\(world.instance)"),
                (.operation, "operation:\(world.operation)"),
            ]
            for (kind, name) in resources {
                let (_, who) = try await f.call(.get, "/api/v1/access/who?resource=\(name)", as: admin)
                for caller in Caller.allCases {
                    let user = try #require(users[caller])
                    let listed = Set(who["holders"]?.items?.first { $0["user_id"]?.string == user }?["entitlements"]?.items?.compactMap(\.string) ?? [])
                    var held: Set<String> = []
                    for entitlement in Entitlement.applicable(to: try AccessResource(naming: name)) {
                        let (status, explained) = try await f.call(.get, "/api/v1/access/explain?user=\(user)&entitlement=\(entitlement.rawValue)&resource=\(name)", as: admin)
                        let allowed = Self.expected(caller, entitlement, on: kind) == .allowed
                        #expect(status == .ok && explained["allowed"] == .bool(allowed), "explain \(entitlement.rawValue) on \(name) for \(caller.rawValue): \(explained)")
                        if allowed { held.insert(entitlement.rawValue) }
                    }
                    #expect(listed == held, "who on \(name) for \(caller.rawValue): listed \(listed.sorted()), expected \(held.sorted())")
                }
            }

            // The world is still whole (every request was harmless), and goes.
            try await f.operate(.delete, "/api/v1/clusters/\(world.cluster)/instances/\(world.instance)?project=\(world.lxdProject)&force=true", as: owner)
            let (_, projects) = try await f.call(.get, "/api/v1/organizations/\(world.organization)/projects", as: owner)
            #expect(projects["items"]?.items?.count == 2, "\(projects)")
            for project in projects["items"]?.items ?? [] {
                #expect(try await f.call(.delete, "/api/v1/projects/\(project["id"]?.string ?? "")", as: owner).0 == .noContent)
            }
            #expect(try await f.call(.delete, "/api/v1/organizations/\(world.organization)", as: owner).0 == .noContent)
            try await f.remove(world.cluster, as: owner)
        }
    }

    /// The authorizer's refusals: a 403 saying what is needed, or a 404 naming the resource.
    static func refusedByAuthorizer(_ status: HTTPResponse.Status, _ body: JSONValue) -> Bool {
        status == .forbidden && body["error"]?["message"]?.string?.hasPrefix("this needs ") == true
    }

    static func hiddenByAuthorizer(_ status: HTTPResponse.Status, _ body: JSONValue, _ description: String) -> Bool {
        status == .notFound && body["error"]?["message"]?.string == "no \(description)"
    }

    /// The partner's cluster (daemon a), organization and two projects; the operator and the
    /// viewer in the first, the outsider in the second; an instance in the first, started by
    /// the operator (the world's operation) and left running so that deleting it is refused.
    static func build(_ f: ClusterFixture, owner: String, operatorToken: String) async throws -> World {
        let cluster = try await f.register("a", name: "matrix-a", as: owner)
        let suffix = UUID().uuidString.prefix(8).lowercased()
        let (_, organization) = try await f.call(.post, "/api/v1/organizations", as: owner, json: #"{"name":"Matrix"}"#)
        let org = try #require(organization["id"]?.string)
        var projects: [(id: String, lxd: String)] = []
        for name in ["orc-matrix-\(suffix)", "orc-matrix-other-\(suffix)"] {
            let (status, project) = try await f.call(.post, "/api/v1/organizations/\(org)/projects", as: owner,
                                                     json: #"{"name":"\#(name)","cluster_id":"\#(cluster)","lxd_project":"\#(name)"}"#)
            #expect(status == .created, "\(project)")
            projects.append((try #require(project["id"]?.string), name))
        }
        for (project, user, role) in [(projects[0].id, "tenant-op-m", "operator"), (projects[0].id, "tenant-view-m", "viewer"), (projects[1].id, "tenant-out-m", "operator")] {
            #expect(try await f.call(.post, "/api/v1/projects/\(project)/members", as: owner, json: #"{"user":"\#(user)","role":"\#(role)"}"#).0 == .created)
        }
        let instance = "m-\(suffix)"
        let made = try await f.operate(.post, "/api/v1/projects/\(projects[0].id)/instances", as: operatorToken, json: #"{"name":"\#(instance)","image":"busybox"}"#)
        #expect(made["status"]?.string == "success", "\(made)")
        let started = try await f.operate(.put, "/api/v1/clusters/\(cluster)/instances/\(instance)/state?project=\(projects[0].lxd)", as: operatorToken,
                                          json: #"{"action":"start"}"#)
        #expect(started["status"]?.string == "success", "\(started)")
        // Ids as the authorizer writes them (JSON may carry them in capitals).
        return World(cluster: cluster.lowercased(), organization: org.lowercased(), project: projects[0].id.lowercased(), lxdProject: projects[0].lxd,
                     otherProject: projects[1].lxd, instance: instance, operation: try #require(started["id"]?.string).lowercased())
    }

    /// What the world left on the test bed (the database goes with the test).
    static func tearDown(_ w: World) async {
        _ = try? await LXDTestBed.lxc("a", ["delete", "--force", "--project", w.lxdProject, w.instance])
        for project in [w.lxdProject, w.otherProject] { _ = try? await LXDTestBed.lxc("a", ["project", "delete", project]) }
        if let certificates = try? await LXDTestBed.lxc("a", ["query", "/1.0/certificates?recursion=1"]).output,
           let list = try? JSONValue.parse(certificates).items {
            for certificate in list where certificate["name"]?.string?.hasPrefix("orcastra-") == true && certificate["name"]?.string?.contains("matrix") == true {
                if let fingerprint = certificate["fingerprint"]?.string { _ = try? await LXDTestBed.lxc("a", ["config", "trust", "remove", fingerprint]) }
            }
        }
    }
}
