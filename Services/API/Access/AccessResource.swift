import Foundation
import Hummingbird
import OrcastraRuntime

/// What an entitlement is held on.
enum AccessResource: Sendable, Hashable, CustomStringConvertible {
    case server
    case organization(UUID)
    case cluster(UUID)
    /// An instance, named by its cluster, LXD project and name.
    case instance(cluster: UUID, project: String, name: String)
    case operation(UUID)

    var description: String {
        switch self {
        case .server: "server"
        case .organization(let id): "organization \(id.uuidString.lowercased())"
        case .cluster(let id): "cluster \(id.uuidString.lowercased())"
        case .instance(let cluster, let project, let name): "instance \(name) in project \(project) of cluster \(cluster.uuidString.lowercased())"
        case .operation(let id): "operation \(id.uuidString.lowercased())"
        }
    }
}

/// How a route names the resource it acts on: which of its path parameters (and, for an
/// instance, the `?project=` query) make up the `AccessResource`.
enum AccessTarget: Sendable {
    case server
    /// `:id` is the organization.
    case organization
    /// `:id` is the cluster.
    case cluster
    /// `:id` is the cluster, `:name` the instance, `?project=` its LXD project (`default`).
    case instance
    /// `:id` is the operation.
    case operation

    /// What the table and the OpenAPI document call it.
    var label: String {
        switch self {
        case .server: "server"
        case .organization: "organization"
        case .cluster: "cluster"
        case .instance: "instance"
        case .operation: "operation"
        }
    }

    func resource(_ request: Request, context: AppRequestContext) throws -> AccessResource {
        switch self {
        case .server: return .server
        case .organization: return .organization(try context.parameters.uuid("id"))
        case .cluster: return .cluster(try context.parameters.uuid("id"))
        case .operation: return .operation(try context.parameters.uuid("id"))
        case .instance:
            return .instance(cluster: try context.parameters.uuid("id"),
                             project: request.uri.queryParameters.get("project") ?? "default",
                             name: try context.parameters.require("name"))
        }
    }
}

/// What a route asks of its caller, declared once where the route is added (`AccessRoutes`).
enum Requirement: Sendable {
    /// Anyone, signed in or not (health, the OpenAPI document, the gateway's reports).
    case open
    /// Any signed-in caller: the route acts on the caller's own things (keys, sessions), or
    /// lists what the `Authorizer` lets the caller see.
    case signedIn
    /// An entitlement on the resource the route names.
    case entitlement(Entitlement, on: AccessTarget)

    var label: String {
        switch self {
        case .open: "open"
        case .signedIn: "signed in"
        case .entitlement(let entitlement, let target): "\(entitlement.rawValue) on \(target.label)"
        }
    }
}
