import Foundation
import Hummingbird
import Logging
import OrcastraModels
import OrcastraRuntime

/// `/api/v1/clusters`: register, list, rename, remove; each cluster's
/// live status and its resources (projects, profiles, networks, storage pools, images).
struct ClusterController {
    let clusters: ClusterService
    let authorizer: Authorizer

    func addRoutes(to routes: AccessRoutes) {
        routes.get("clusters", .signedIn, use: self.list)
        routes.post("clusters", .entitlement(.canManageClusters, on: .server), use: self.register)
        routes.get("clusters/:id", .entitlement(.canView, on: .cluster), use: self.get)
        routes.patch("clusters/:id", .entitlement(.canEdit, on: .cluster), use: self.update)
        routes.delete("clusters/:id", .entitlement(.canDelete, on: .cluster), use: self.remove)
        routes.get("clusters/:id/status", .entitlement(.canView, on: .cluster), use: self.status)
        routes.get("clusters/:id/:resource", .entitlement(.canView, on: .cluster), use: self.resources)
    }

    /// `{"name", "description"?, "trust_token"}`, or `{"name", "description"?, "endpoint",
    /// "server_fingerprint", "client_certificate", "client_key"}` for a certificate the server
    /// already trusts.
    struct RegisterRequest: Decodable {
        var name: String
        var description: String?
        var trustToken: String?
        var endpoint: String?
        var serverFingerprint: String?
        var clientCertificate: String?
        var clientKey: String?
        /// Whose cluster it is (admins, for a partner); the caller's when absent.
        var ownerID: UUID?

        enum CodingKeys: String, CodingKey {
            case name, description, endpoint
            case trustToken = "trust_token", serverFingerprint = "server_fingerprint"
            case clientCertificate = "client_certificate", clientKey = "client_key", ownerID = "owner_id"
        }

        func source() throws -> ClusterRegistration.Source {
            switch (self.trustToken, self.endpoint) {
            case (let token?, nil):
                return .token(try TrustToken(token))
            case (nil, let endpoint?):
                guard let address = Self.address(endpoint) else {
                    throw APIError(.unprocessableContent, code: "invalid_endpoint", message: "endpoint must be https://host:port or host:port")
                }
                guard let fingerprint = self.serverFingerprint?.lowercased().replacingOccurrences(of: ":", with: ""),
                      fingerprint.count == 64, fingerprint.allSatisfy(\.isHexDigit) else {
                    throw APIError(.unprocessableContent, code: "invalid_fingerprint",
                                   message: "server_fingerprint must be the SHA-256 of the server certificate (64 hex digits; `lxc info` prints it)")
                }
                guard let certificate = self.clientCertificate, let key = self.clientKey, certificate.contains("BEGIN CERTIFICATE"), key.contains("PRIVATE KEY") else {
                    throw APIError(.unprocessableContent, code: "invalid_certificate", message: "client_certificate and client_key must be PEM text")
                }
                return .certificate(endpoint: address, serverFingerprint: fingerprint,
                                    credentials: ClusterCredentials(certificatePEM: certificate, privateKeyPEM: key, serverCertificatePEM: ""))
            default:
                throw APIError(.badRequest, code: "invalid_request", message: "give either trust_token, or endpoint with server_fingerprint, client_certificate and client_key")
            }
        }

        /// `host:port` from `https://host:port[/]` or `host[:port]` (LXD's port, 8443, by default).
        static func address(_ text: String) -> String? {
            var rest = Substring(text.trimmingCharacters(in: .whitespaces))
            if rest.hasPrefix("https://") { rest = rest.dropFirst(8) }
            if rest.hasSuffix("/") { rest = rest.dropLast() }
            guard !rest.isEmpty, !rest.contains("/"), !rest.contains("@"), !rest.contains("?") else { return nil }
            let colons = rest.filter { $0 == ":" }.count
            let address: String
            if rest.hasPrefix("[") {
                address = rest.hasSuffix("]") ? "\(rest):8443" : String(rest)
            } else {
                address = switch colons {
                case 0: "\(rest):8443"
                case 1: String(rest)
                default: "[\(rest)]:8443"
                }
            }
            return TrustToken.isHostPort(address) ? address : nil
        }
    }

    struct UpdateRequest: Decodable {
        var name: String?
        var description: String?
    }

    /// Paged (`?limit=`, `?cursor=`) by name.
    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> ListPage<Cluster> {
        let page = try PageRequest(query: request.uri.queryParameters)
        return page.page(try await self.clusters.list(in: self.authorizer.ownerScope(try context.requireIdentity()))) { $0.name.lowercased() + "\u{0}" + $0.id.uuidString }
    }

    @Sendable func get(_ request: Request, context: AppRequestContext) async throws -> Cluster {
        try await self.clusters.get(try context.parameters.uuid("id"))
    }

    @Sendable func register(_ request: Request, context: AppRequestContext) async throws -> Response {
        let caller = try context.requireIdentity()
        let body = try await request.decode(as: RegisterRequest.self, context: context)
        let description = body.description ?? ""
        try ClusterRegistration.checkDescription(description)
        let owner = body.ownerID ?? caller.id
        if owner != caller.id {
            try await self.authorizer.require(caller, .canActForOthers, on: .server)
            guard let user = try await self.authorizer.relations.user(owner.uuidString), user.role >= .partner else {
                throw APIError(.unprocessableContent, code: "invalid_owner", message: "owner_id must name a partner or an admin who has signed in")
            }
        }
        let cluster = try await self.clusters.register(.init(
            name: body.name, description: description, source: try body.source(), owner: owner,
            actor: .init(caller), requestID: context.state.requestID, privileged: caller.role == .admin))
        var response = try JSONResponse.encode(cluster, status: .created)
        response.headers[.location] = "/api/v1/clusters/\(cluster.id.uuidString.lowercased())"
        return response
    }

    @Sendable func update(_ request: Request, context: AppRequestContext) async throws -> Cluster {
        let caller = try context.requireIdentity()
        let cluster = try await self.clusters.get(try context.parameters.uuid("id"))
        let body = try await request.decode(as: UpdateRequest.self, context: context)
        return try await self.clusters.update(cluster, name: body.name, description: body.description, by: caller, requestID: context.state.requestID)
    }

    @Sendable func remove(_ request: Request, context: AppRequestContext) async throws -> HTTPResponse.Status {
        try await self.clusters.remove(try context.parameters.uuid("id"), by: try context.requireIdentity(), requestID: context.state.requestID)
        return .noContent
    }

    /// Reachability, latency and what the server says about itself; unreachable is an answer
    /// (200 with `reachable: false`), not an error.
    @Sendable func status(_ request: Request, context: AppRequestContext) async throws -> ClusterStatus {
        try await self.clusters.status(try context.parameters.uuid("id"))
    }

    /// `projects`, `profiles`, `networks`, `storage-pools` and `images`, in `?project=` where
    /// the kind lives in projects.
    /// Paged by name.
    @Sendable func resources(_ request: Request, context: AppRequestContext) async throws -> ListPage<ClusterResource> {
        let page = try PageRequest(query: request.uri.queryParameters)
        return page.page(try await self.clusters.resources(try context.parameters.uuid("id"), kind: try context.parameters.require("resource"),
                                                           project: request.uri.queryParameters.get("project"))) { $0.name }
    }
}
extension Cluster: ResponseEncodable {}
extension ClusterStatus: ResponseEncodable {}
