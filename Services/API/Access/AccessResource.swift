import Foundation
import Hummingbird
import OrcastraRuntime

/// What an entitlement is held on.
enum AccessResource: Sendable, Hashable, CustomStringConvertible {
    case server
    case organization(UUID)
    case project(UUID)
    case cluster(UUID)
    /// An instance, named by its cluster, LXD project and name.
    case instance(cluster: UUID, project: String, name: String)
    case operation(UUID)

    /// The resource as `?resource=` names it: `server`, `organization:<id>`, `project:<id>`,
    /// `cluster:<id>`, `operation:<id>` or `instance:<cluster id>/<lxd project>/<name>`.
    init(naming text: String) throws {
        let invalid = APIError(.badRequest, code: "invalid_resource", message: """
            resource must be server, organization:<id>, project:<id>, cluster:<id>, operation:<id> or instance:<cluster id>/<lxd project>/<name>
            """)
        if text == "server" { self = .server; return }
        guard let colon = text.firstIndex(of: ":") else { throw invalid }
        let kind = text[..<colon], rest = String(text[text.index(after: colon)...])
        if kind == "instance" {
            let parts = rest.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
            // LXD's object names: nothing that could change a path.
            let lxdName = /[A-Za-z0-9][A-Za-z0-9._-]{0,62}/
            guard parts.count == 3, let cluster = UUID(uuidString: parts[0]),
                  parts[1].wholeMatch(of: lxdName) != nil, parts[2].wholeMatch(of: lxdName) != nil else { throw invalid }
            self = .instance(cluster: cluster, project: parts[1], name: parts[2])
            return
        }
        guard let id = UUID(uuidString: rest) else { throw invalid }
        switch kind {
        case "organization": self = .organization(id)
        case "project": self = .project(id)
        case "cluster": self = .cluster(id)
        case "operation": self = .operation(id)
        default: throw invalid
        }
    }

    /// The form `init(naming:)` reads.
    var name: String {
        switch self {
        case .server: "server"
        case .organization(let id): "organization:\(id.uuidString.lowercased())"
        case .project(let id): "project:\(id.uuidString.lowercased())"
        case .cluster(let id): "cluster:\(id.uuidString.lowercased())"
        case .operation(let id): "operation:\(id.uuidString.lowercased())"
        case .instance(let cluster, let project, let name): "instance:\(cluster.uuidString.lowercased())/\(project)/\(name)"
        }
    }

    var description: String {
        switch self {
        case .server: "server"
        case .organization(let id): "organization \(id.uuidString.lowercased())"
        case .project(let id): "project \(id.uuidString.lowercased())"
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
    /// `:id` is the project.
    case project
    /// `:id` is the cluster.
    case cluster
    /// `:id` is the cluster, `:name` the instance, `?project=` its LXD project (`default`).
    case instance
    /// `:id` is the operation.
    case operation
    /// `?resource=` names it (`AccessResource.init(naming:)`).
    case named

    /// What the table and the OpenAPI document call it.
    var label: String {
        switch self {
        case .server: "server"
        case .organization: "organization"
        case .project: "project"
        case .cluster: "cluster"
        case .instance: "instance"
        case .operation: "operation"
        case .named: "the resource named"
        }
    }

    func resource(_ request: Request, context: AppRequestContext) throws -> AccessResource {
        switch self {
        case .server: return .server
        case .organization: return .organization(try context.parameters.uuid("id"))
        case .project: return .project(try context.parameters.uuid("id"))
        case .cluster: return .cluster(try context.parameters.uuid("id"))
        case .operation: return .operation(try context.parameters.uuid("id"))
        case .named:
            guard let name = request.uri.queryParameters.get("resource") else {
                throw APIError(.badRequest, code: "invalid_resource", message: "resource is required")
            }
            return try AccessResource(naming: name)
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
