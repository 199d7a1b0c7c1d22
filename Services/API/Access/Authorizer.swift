import Foundation
import Hummingbird
import OrcastraModels
import OrcastraRuntime

/// Whether an entitlement is held, and the chain of facts that decided it, written of "the
/// user" (the caller, or whoever `/access/explain` asks about).
struct AccessDecision: Sendable, Equatable {
    var allowed: Bool
    /// Whether the caller may know the resource exists: when not, a refusal is a 404, so that
    /// one partner cannot probe for another's clusters.
    var visible: Bool
    var because: [String]

    static func allowed(_ because: String...) -> AccessDecision { AccessDecision(allowed: true, visible: true, because: because) }
    static func refused(_ because: String...) -> AccessDecision { AccessDecision(allowed: false, visible: true, because: because) }
    static func hidden(_ because: String...) -> AccessDecision { AccessDecision(allowed: false, visible: false, because: because) }
}

/// The one place that decides who may do what, from the caller's identity and role and the
/// relations between users and resources (`AccessRelations`). Routes declare what they need
/// (`AccessRoutes`); handlers do not check roles or owners themselves.
///
/// The rules:
/// - the admin role holds every entitlement on everything;
/// - the partner role holds `can_manage_clusters` and `can_create_organizations` on the
///   server, and every entitlement on the clusters and organizations it owns, the clusters'
///   instances, the organizations' projects, and the operations on them;
/// - a project's members hold their role's bundle on it (`Entitlement.bundle`: a viewer
///   `can_view`, an operator also creating instances) and on the instances and operations in
///   its LXD project (`Entitlement.instanceBundle`: a viewer sees them, an operator also
///   starts, stops, snapshots and deletes them); the organization's owner holds everything;
/// - a grant on one instance gives its role's instance bundle on that instance alone (and its
///   operations);
/// - whoever started an operation may view it;
/// - everything else is refused: with a 404 where the resource belongs to someone else (its
///   existence is not theirs to know), a 403 for server-wide rights.
struct Authorizer: Sendable {
    let relations: AccessRelations

    /// Server-wide entitlements the partner role holds.
    static let partnerServerRights: Set<Entitlement> = [.canManageClusters, .canCreateOrganizations]

    func decide(_ caller: Identity, _ entitlement: Entitlement, on resource: AccessResource) async throws -> AccessDecision {
        let role = "\(caller.role.title) role"
        if caller.role == .admin { return .allowed("the user has the \(role), which holds every entitlement") }
        switch resource {
        case .server:
            if caller.role == .partner, Self.partnerServerRights.contains(entitlement) {
                return .allowed("the \(role) holds \(entitlement.rawValue) on the server")
            }
            let holders = Self.partnerServerRights.contains(entitlement) ? "the Partner and Admin roles" : "the Admin role"
            return .refused("\(entitlement.rawValue) on the server belongs to \(holders); the user has the \(role)")
        case .organization(let id):
            guard let organization = try await self.relations.organization(id) else { return .hidden("there is no \(resource)") }
            return self.ownership(caller, of: organization, what: "\(resource)")
        case .project(let id):
            guard let project = try await self.relations.project(id) else { return .hidden("there is no \(resource)") }
            return try await self.throughProject(caller, entitlement, project, named: "\(resource)", bundle: Entitlement.bundle, holding: nil)
        case .cluster(let id):
            guard let cluster = try await self.relations.cluster(id) else { return .hidden("there is no \(resource)") }
            return self.ownership(caller, of: cluster, what: "\(resource)")
        case .instance(let id, let lxdProject, let name):
            return try await self.onCluster(caller, entitlement, id, lxdProject: lxdProject, instance: name, holding: "the instance")
        case .operation(let id):
            guard let operation = try await self.relations.operation(id) else { return .hidden("there is no \(resource)") }
            if entitlement == .canView, operation.startedBy == caller.id { return .allowed("the user started \(resource)") }
            return try await self.onCluster(caller, entitlement, operation.cluster, lxdProject: operation.lxdProject, instance: operation.instance,
                                            holding: "\(resource)")
        }
    }

    /// For what lives in an LXD project of a cluster (instances, operations): the cluster's
    /// owner holds everything; otherwise the Orcastra project that LXD project is (if any)
    /// decides, its members holding their role's bundle on instances, and a grant on the
    /// instance giving its role's bundle on that instance alone.
    private func onCluster(_ caller: Identity, _ entitlement: Entitlement, _ id: UUID, lxdProject: String, instance: String,
                           holding: String) async throws -> AccessDecision {
        guard let cluster = try await self.relations.cluster(id) else { return .hidden("there is no cluster \(id.uuidString.lowercased())") }
        var decision = self.ownership(caller, of: cluster, what: "cluster \(id.uuidString.lowercased())")
        if decision.allowed {
            decision.because.append("\(holding) is on that cluster")
            return decision
        }
        guard let project = try await self.relations.project(on: id, lxdProject: lxdProject) else { return decision }
        decision = try await self.throughProject(caller, entitlement, project, named: "project \(project.id.uuidString.lowercased()) (LXD project \(lxdProject))",
                                                 bundle: Entitlement.instanceBundle, holding: holding)
        guard !decision.allowed, let role = try await self.relations.grant(of: caller.id, on: id, lxdProject: lxdProject, instance: instance) else {
            return decision
        }
        return Self.byRole(role, Entitlement.instanceBundle(role), entitlement, because: ["the user was granted \(role.rawValue) on instance \(instance)"],
                           on: holding)
    }

    /// A project's organization owner holds everything on it and in it; a member holds their
    /// role's `bundle` (on the project itself, or on `holding`, what is in it).
    private func throughProject(_ caller: Identity, _ entitlement: Entitlement, _ project: AccessRelations.Project, named: String,
                                bundle: (ProjectRole) -> Set<Entitlement>, holding: String?) async throws -> AccessDecision {
        var decision = self.ownership(caller, of: .init(owner: project.organizationOwner), what: "the organization of \(named)")
        if decision.allowed {
            decision.because.append("\(holding ?? named) belongs to it")
            return decision
        }
        guard let role = try await self.relations.membership(of: caller.id, in: project.id) else { return decision }
        var because = ["the user is \(role.rawValue) of \(named)"]
        if let holding { because.append("\(holding) is in that project") }
        return Self.byRole(role, bundle(role), entitlement, because: because, on: holding)
    }

    /// The decision a project role's bundle `held` makes (on `holding`, when not the project itself).
    private static func byRole(_ role: ProjectRole, _ held: Set<Entitlement>, _ entitlement: Entitlement, because: [String], on holding: String?) -> AccessDecision {
        let on = holding.map { " on \($0)" } ?? ""
        return held.contains(entitlement)
            ? AccessDecision(allowed: true, visible: true, because: because + ["the \(role.rawValue) role holds \(held.map(\.rawValue).sorted().joined(separator: ", "))\(on)"])
            : AccessDecision(allowed: false, visible: true, because: because + ["the \(role.rawValue) role does not hold \(entitlement.rawValue)\(on)"])
    }

    /// A partner owning the resource holds every entitlement on it; anyone else does not see it.
    private func ownership(_ caller: Identity, of resource: AccessRelations.Owned, what: String) -> AccessDecision {
        guard resource.owner == caller.id else { return .hidden("\(what) belongs to someone else") }
        guard caller.role >= .partner else {
            return .hidden("the user owns \(what) but has the \(caller.role.title) role; owners act through the Partner role")
        }
        return .allowed("the user owns \(what) and has the Partner role")
    }

    /// Every entitlement `user` holds on `resource`, and the facts that gave them (each once).
    func held(by user: Identity, on resource: AccessResource) async throws -> (entitlements: [String], because: [String]) {
        var held: [String] = [], because: [String] = []
        for entitlement in Entitlement.applicable(to: resource) {
            let decision = try await self.decide(user, entitlement, on: resource)
            guard decision.allowed else { continue }
            held.append(entitlement.rawValue)
            because += decision.because.filter { !because.contains($0) }
        }
        return (held, because)
    }

    /// `decide`, answering a refusal as the error the caller gets: 404 when the resource is not
    /// theirs to know of, 403 saying what is needed otherwise.
    func require(_ caller: Identity, _ entitlement: Entitlement, on resource: AccessResource) async throws {
        let decision = try await self.decide(caller, entitlement, on: resource)
        guard !decision.allowed else { return }
        guard decision.visible else { throw APIError(.notFound, code: "not_found", message: "no \(resource)") }
        throw APIError(.forbidden, code: "forbidden",
                       message: "this needs \(entitlement.rawValue) on the \(resource): " + decision.because.joined(separator: "; "))
    }

    /// Checks a route's requirement before its handler runs.
    func check(_ requirement: Requirement, _ request: Request, context: AppRequestContext) async throws {
        switch requirement {
        case .open: return
        case .signedIn: _ = try context.requireIdentity()
        case .entitlement(let entitlement, let target):
            let caller = try context.requireIdentity()
            try await self.require(caller, entitlement, on: try target.resource(request, context: context))
        }
    }

    /// Which rows of a list the caller sees: everything, what one user owns, or nothing.
    enum ListScope: Sendable, Equatable {
        case everyone
        case owner(UUID)
        case nothing

        /// For SQL, as two bound values: `(\(scope.everyone) OR owner_id = \(scope.owner))`
        /// keeps exactly the scope's rows (`owner_id = NULL` keeps none).
        var everyone: Bool { self == .everyone }
        var owner: UUID? { if case .owner(let id) = self { id } else { nil } }
    }

    /// For lists of what partners own (clusters and their instances, organizations): admins
    /// see all, partners their own, tenants none.
    func ownerScope(_ caller: Identity) -> ListScope {
        switch caller.role {
        case .admin: .everyone
        case .partner: .owner(caller.id)
        case .tenant: .nothing
        }
    }

    /// The LXD projects (with their project's id), by cluster, whose instances the caller sees
    /// beyond the clusters of `ownerScope`: those of the projects of organizations they own
    /// (partners) and of the projects they are members of, whole, and the instances granted to
    /// them. Admins see everything through `ownerScope` already.
    func projectReach(_ caller: Identity) async throws -> [UUID: [String: AccessRelations.ProjectReach]] {
        caller.role == .admin ? [:] : try await self.relations.lxdProjects(of: caller.id, asOwner: caller.role >= .partner)
    }

    /// For lists of projects: admins see all, everyone else the projects of the organizations
    /// they own and the ones they are members of (`.owner` reads as "owner or member" there).
    func projectScope(_ caller: Identity) -> ListScope {
        caller.role == .admin ? .everyone : .owner(caller.id)
    }

    /// For lists of the caller's own things (API keys, sessions): admins see everyone's.
    func ownScope(_ caller: Identity) -> ListScope {
        caller.role == .admin ? .everyone : .owner(caller.id)
    }
}
