import Foundation
import Hummingbird
import OrcastraModels
import OrcastraRuntime

/// `/api/v1/instances` (everyone; a tenant's list is empty until tenancy assigns projects) and
/// `/api/v1/clusters/<id>/instances/…` (partners and admins): list, read, create, change state,
/// delete. Changes return an operation at once (202); `GET /operations/<id>` follows it.
struct InstanceController {
    let instances: InstanceService
    let tracker: OperationTracker

    func addRoutes(everyone: RouterGroup<AppRequestContext>, managers: RouterGroup<AppRequestContext>) {
        everyone.get("instances", use: self.list)
        managers.get("clusters/:id/instances", use: self.listOne)
        managers.post("clusters/:id/instances", use: self.create)
        managers.get("clusters/:id/instances/:name", use: self.get)
        managers.put("clusters/:id/instances/:name/state", use: self.changeState)
        managers.delete("clusters/:id/instances/:name", use: self.delete)
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> InstanceList {
        let caller = try context.requireIdentity()
        let query = request.uri.queryParameters
        var filter = InstanceService.Filter()
        if let cluster = query.get("cluster"), !cluster.isEmpty {
            guard let id = UUID(uuidString: cluster) else { throw APIError(.badRequest, code: "invalid_cluster", message: "cluster must be a cluster id (UUID)") }
            filter.cluster = id
        }
        if let project = query.get("project"), !project.isEmpty { filter.project = try InstanceNames.project(project) }
        if let status = query.get("status"), !status.isEmpty {
            guard ["running", "stopped", "frozen", "error"].contains(status.lowercased()) else {
                throw APIError(.badRequest, code: "invalid_status", message: "status must be Running, Stopped, Frozen or Error")
            }
            filter.status = status
        }
        if let type = query.get("type"), !type.isEmpty {
            guard ["container", "virtual-machine"].contains(type) else {
                throw APIError(.badRequest, code: "invalid_type", message: "type must be container or virtual-machine")
            }
            filter.type = type
        }
        if let name = query.get("name"), !name.isEmpty {
            guard name.count <= 63 else { throw APIError(.badRequest, code: "invalid_name", message: "name filter must be at most 63 characters") }
            filter.name = name
        }
        return try await self.instances.list(for: caller, filter: filter)
    }

    /// One cluster's instances, failing (502/504) when it does not answer.
    @Sendable func listOne(_ request: Request, context: AppRequestContext) async throws -> ListPage<InstanceSummary> {
        let caller = try context.requireIdentity()
        let cluster = try await self.instances.clusters.get(try context.parameters.uuid("id"), visibleTo: caller)
        let project = try request.uri.queryParameters.get("project").map { try InstanceNames.project($0) }
        let driver = try await self.instances.connections.driver(for: cluster)
        return ListPage(items: try await clusterCall { try await InstanceService.instances(in: cluster, project: project, driver: driver) })
    }

    @Sendable func get(_ request: Request, context: AppRequestContext) async throws -> InstanceDetail {
        let (cluster, project, name) = try await self.target(request, context: context)
        return try await self.instances.detail(name, project: project, cluster: cluster)
    }

    /// `{"name", "image", "project"?, "type"?, "profiles"?, "limits"?: {"cpu", "memory"},
    /// "user_data"?, "start"?}`; `image` is an alias or a fingerprint on that cluster.
    struct CreateRequest: Decodable {
        var name: String
        var image: String
        var project: String?
        var type: String?
        var profiles: [String]?
        var limits: Limits?
        var userData: String?
        var start: Bool?

        struct Limits: Decodable {
            var cpu: String?
            var memory: String?
        }

        enum CodingKeys: String, CodingKey {
            case name, image, project, type, profiles, limits, start
            case userData = "user_data"
        }
    }

    /// LXD's `POST /1.0/instances` body.
    struct LXDCreate: Encodable, Sendable {
        var name: String
        var type: String
        var profiles: [String]
        var config: [String: String]
        var source: Source

        struct Source: Encodable, Sendable {
            var type = "image"
            var alias: String?
            var fingerprint: String?
        }
    }

    @Sendable func create(_ request: Request, context: AppRequestContext) async throws -> Response {
        let caller = try context.requireIdentity()
        let cluster = try await self.instances.clusters.get(try context.parameters.uuid("id"), visibleTo: caller)
        let body = try await request.decode(as: CreateRequest.self, context: context)
        let lxd = try Self.validated(body)
        let project = try InstanceNames.project(body.project)
        let path = "/1.0/instances"
        var steps: [OperationTracker.Step] = [{ driver in try await driver.send(.POST, path, query: ["project": project], body: lxd) }]
        if body.start ?? false {
            steps.append { driver in
                try await driver.send(.PUT, "\(path)/\(ClusterDriver.escape(lxd.name))/state", query: ["project": project], body: StateChange(action: "start"))
            }
        }
        let plan = OperationTracker.Plan(
            cluster: cluster, action: "instance.create", project: project, instance: lxd.name,
            details: ["image": body.image, "type": lxd.type, "profiles": lxd.profiles.joined(separator: ","), "start": String(body.start ?? false)],
            steps: steps)
        return try await self.accepted(plan, caller: caller, context: context)
    }

    /// The create request checked against LXD's rules, as LXD's body.
    static func validated(_ body: CreateRequest) throws -> LXDCreate {
        let name = try InstanceNames.instance(body.name)
        let type = body.type ?? "container"
        guard ["container", "virtual-machine"].contains(type) else {
            throw APIError(.unprocessableContent, code: "invalid_type", message: "type must be container or virtual-machine")
        }
        let image = body.image.trimmingCharacters(in: .whitespaces)
        guard !image.isEmpty, image.count <= 255, image.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "._-/:".contains($0)) }) else {
            throw APIError(.unprocessableContent, code: "invalid_image", message: "image must be an alias or a fingerprint on the cluster")
        }
        let isFingerprint = image.count >= 12 && image.count <= 64 && image.allSatisfy(\.isHexDigit)
        let profiles = body.profiles ?? ["default"]
        for profile in profiles where !InstanceNames.isObjectName(profile) {
            throw APIError(.unprocessableContent, code: "invalid_profile", message: "'\(profile)' is not a profile name")
        }
        var config: [String: String] = [:]
        if let cpu = body.limits?.cpu, !cpu.isEmpty {
            guard cpu.wholeMatch(of: /\d{1,4}(-\d{1,4})?(,\d{1,4}(-\d{1,4})?)*/) != nil else {
                throw APIError(.unprocessableContent, code: "invalid_limits", message: "limits.cpu must be a count (2) or CPU ids (0-3,6)")
            }
            config["limits.cpu"] = cpu
        }
        if let memory = body.limits?.memory, !memory.isEmpty {
            guard memory.wholeMatch(of: /\d{1,9}(kB|MB|GB|TB|KiB|MiB|GiB|TiB|%)?/) != nil else {
                throw APIError(.unprocessableContent, code: "invalid_limits", message: "limits.memory must be a size such as 512MiB or 2GiB, or a percentage")
            }
            config["limits.memory"] = memory
        }
        if let userData = body.userData, !userData.isEmpty {
            guard userData.utf8.count <= 64 * 1024 else {
                throw APIError(.unprocessableContent, code: "invalid_user_data", message: "user_data must be at most 64 KiB")
            }
            // LXD 5.0 reads cloud-init data from `user.user-data`; newer servers accept it too.
            config["user.user-data"] = userData
        }
        return LXDCreate(name: name, type: type, profiles: profiles, config: config,
                         source: .init(alias: isFingerprint ? nil : image, fingerprint: isFingerprint ? image : nil))
    }

    /// LXD's `PUT /1.0/instances/<name>/state` body.
    struct StateChange: Codable, Sendable {
        var action: String
        var force: Bool? = nil
        var timeout: Int? = nil
    }

    /// `{"action": "start|stop|restart|freeze|unfreeze", "force"?: bool, "timeout"?: seconds}`.
    @Sendable func changeState(_ request: Request, context: AppRequestContext) async throws -> Response {
        let caller = try context.requireIdentity()
        let (cluster, project, name) = try await self.target(request, context: context)
        let body = try await request.decode(as: StateChange.self, context: context)
        guard ["start", "stop", "restart", "freeze", "unfreeze"].contains(body.action) else {
            throw APIError(.unprocessableContent, code: "invalid_action", message: "action must be start, stop, restart, freeze or unfreeze")
        }
        if let timeout = body.timeout, !(0...3600).contains(timeout) {
            throw APIError(.unprocessableContent, code: "invalid_timeout", message: "timeout must be 0 to 3600 seconds")
        }
        let change = StateChange(action: body.action, force: body.force ?? false, timeout: body.timeout ?? 30)
        let plan = OperationTracker.Plan(
            cluster: cluster, action: "instance.\(body.action)", project: project, instance: name,
            details: ["force": String(change.force ?? false)],
            steps: [{ driver in try await driver.send(.PUT, "/1.0/instances/\(ClusterDriver.escape(name))/state", query: ["project": project], body: change) }])
        return try await self.accepted(plan, caller: caller, context: context)
    }

    /// Refused while running unless `?force=true`, which stops it first.
    @Sendable func delete(_ request: Request, context: AppRequestContext) async throws -> Response {
        let caller = try context.requireIdentity()
        let (cluster, project, name) = try await self.target(request, context: context)
        let force = request.uri.queryParameters.get("force") == "true"
        let driver = try await self.instances.connections.driver(for: cluster)
        let status = try await self.instances.status(name, project: project, driver: driver)
        let path = "/1.0/instances/\(ClusterDriver.escape(name))"
        var steps: [OperationTracker.Step] = []
        if status != "Stopped" {
            guard force else {
                throw APIError(.conflict, code: "instance_running", message: "instance '\(name)' is \(status); stop it first or delete with force=true")
            }
            steps.append { driver in try await driver.send(.PUT, path + "/state", query: ["project": project], body: StateChange(action: "stop", force: true, timeout: 30)) }
        }
        steps.append { driver in try await driver.send(.DELETE, path, query: ["project": project]) }
        let plan = OperationTracker.Plan(cluster: cluster, action: "instance.delete", project: project, instance: name,
                                         details: ["force": String(force), "status_before": status], steps: steps)
        return try await self.accepted(plan, caller: caller, context: context)
    }

    /// The cluster (visible to the caller), project and instance name a per-instance route names.
    func target(_ request: Request, context: AppRequestContext) async throws -> (Cluster, String, String) {
        let caller = try context.requireIdentity()
        let cluster = try await self.instances.clusters.get(try context.parameters.uuid("id"), visibleTo: caller)
        let name = try InstanceNames.instance(try context.parameters.require("name"))
        return (cluster, try InstanceNames.project(request.uri.queryParameters.get("project")), name)
    }

    /// 202 with the operation and where to follow it.
    func accepted(_ plan: OperationTracker.Plan, caller: Identity, context: AppRequestContext) async throws -> Response {
        let operation = try await self.tracker.start(plan, caller: caller, requestID: context.state.requestID)
        var response = try JSONResponse.encode(operation, status: .accepted)
        response.headers[.location] = "/api/v1/operations/\(operation.id.uuidString.lowercased())"
        return response
    }
}

extension InstanceList: ResponseEncodable {}
extension InstanceDetail: ResponseEncodable {}
extension OperationInfo: ResponseEncodable {}
