import Foundation
import Hummingbird
import Logging
import OrcastraModels
import OrcastraRuntime

/// `/api/v1/clusters` (partners and admins): register, list, rename, remove; each cluster's
/// live status and its resources (projects, profiles, networks, storage pools, images).
struct ClusterController {
    let store: ClusterStore
    let connections: ClusterConnections
    let registration: ClusterRegistration
    let secrets: SecretsService
    let audit: AuditTrail
    let logger: Logger

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.get("clusters", use: self.list)
        group.post("clusters", use: self.register)
        group.get("clusters/:id", use: self.get)
        group.patch("clusters/:id", use: self.update)
        group.delete("clusters/:id", use: self.remove)
        group.get("clusters/:id/status", use: self.status)
        group.get("clusters/:id/:resource", use: self.resources)
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

        enum CodingKeys: String, CodingKey {
            case name, description, endpoint
            case trustToken = "trust_token", serverFingerprint = "server_fingerprint"
            case clientCertificate = "client_certificate", clientKey = "client_key"
        }

        func source() throws -> ClusterRegistration.Source {
            switch (self.trustToken, self.endpoint) {
            case (let token?, nil):
                do {
                    return .token(try TrustToken(token))
                } catch {
                    throw APIError(.badRequest, code: "invalid_trust_token", message: error.description)
                }
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

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> ListPage<Cluster> {
        ListPage(items: try await self.store.list(visibleTo: try context.requireIdentity()))
    }

    @Sendable func get(_ request: Request, context: AppRequestContext) async throws -> Cluster {
        try await self.store.get(try context.parameters.uuid("id"), visibleTo: try context.requireIdentity())
    }

    @Sendable func register(_ request: Request, context: AppRequestContext) async throws -> Response {
        let caller = try context.requireIdentity()
        let body = try await request.decode(as: RegisterRequest.self, context: context)
        let description = body.description ?? ""
        guard description.count <= 500 else {
            throw APIError(.unprocessableContent, code: "invalid_description", message: "description must be at most 500 characters")
        }
        let cluster = try await self.registration.register(.init(
            name: body.name, description: description, source: try body.source(), owner: caller.id,
            actor: .init(caller), requestID: context.state.requestID))
        var response = try JSONResponse.encode(cluster, status: .created)
        response.headers[.location] = "/api/v1/clusters/\(cluster.id.uuidString.lowercased())"
        return response
    }

    @Sendable func update(_ request: Request, context: AppRequestContext) async throws -> Cluster {
        let caller = try context.requireIdentity()
        let cluster = try await self.store.get(try context.parameters.uuid("id"), visibleTo: caller)
        let body = try await request.decode(as: UpdateRequest.self, context: context)
        let name = body.name ?? cluster.name
        let description = body.description ?? cluster.description
        guard ClusterRegistration.validName(name) else {
            throw APIError(.unprocessableContent, code: "invalid_name", message: "name must be 1 to 63 letters, digits, '.', '_' or '-', starting with a letter or digit")
        }
        guard description.count <= 500 else {
            throw APIError(.unprocessableContent, code: "invalid_description", message: "description must be at most 500 characters")
        }
        guard try await !self.store.nameTaken(name, except: cluster.id) else {
            throw APIError(.conflict, code: "name_taken", message: "a cluster named '\(name)' is already registered")
        }
        try await self.audit.record(AuditEvent(
            action: "cluster.update", category: "clusters", actor: .init(caller), target: .init(type: "cluster", id: cluster.id.uuidString.lowercased(), host: name),
            requestID: context.state.requestID, before: ["name": cluster.name, "description": cluster.description],
            after: ["name": name, "description": description]), client: self.store.client, logger: self.logger) { connection in
            try await self.store.update(cluster.id, name: name, description: description, on: connection)
        }
        return try await self.store.get(cluster.id, visibleTo: caller)
    }

    /// Takes the certificate our CA issued out of the server's trust store when the server
    /// answers, then removes the row and the credentials together; the certificate is revoked
    /// at our CA afterwards.
    @Sendable func remove(_ request: Request, context: AppRequestContext) async throws -> HTTPResponse.Status {
        let caller = try context.requireIdentity()
        let cluster = try await self.store.get(try context.parameters.uuid("id"), visibleTo: caller)
        let serial = try await self.store.clientSerial(cluster.id)
        // Only a certificate we issued is ours to take out of the server's trust store; one the
        // operator brought stays trusted there.
        var serverCleanup = serial == nil ? "kept: the operator's certificate" : "removed"
        if serial != nil {
            do {
                let driver = try await self.connections.driver(for: cluster)
                try await driver.with(timeout: self.connections.settings.listTimeout).send(.DELETE, "/1.0/certificates/\(cluster.clientFingerprint)")
            } catch ClusterError.server(404, _) {
                serverCleanup = "already absent"
            } catch {
                serverCleanup = "skipped: \(error)"
            }
        }
        let path = try ClusterConnections.secretPath(cluster.id)
        try await self.audit.record(AuditEvent(
            action: "cluster.delete", category: "clusters", actor: .init(caller), target: .init(type: "cluster", id: cluster.id.uuidString.lowercased(), host: cluster.name),
            details: ["name": cluster.name, "endpoint": cluster.endpoint, "server_trust": serverCleanup], requestID: context.state.requestID),
            client: self.store.client, logger: self.logger) { connection in
            try await self.store.delete(cluster.id, on: connection)
            try await SecretsService.mapped { try await self.secrets.store.delete(path) }
        }
        await self.connections.forget(cluster.id)
        if let serial {
            do { _ = try await self.secrets.ca().revoke(serial: serial) } catch {
                self.logger.warning("could not revoke a removed cluster's certificate", metadata: ["serial": "\(serial)", "error": "\(error)"])
            }
        }
        return .noContent
    }

    /// Reachability, latency and what the server says about itself; unreachable is an answer
    /// (200 with `reachable: false`), not an error.
    @Sendable func status(_ request: Request, context: AppRequestContext) async throws -> ClusterStatus {
        let cluster = try await self.store.get(try context.parameters.uuid("id"), visibleTo: try context.requireIdentity())
        let driver = try await self.connections.driver(for: cluster).with(timeout: self.connections.settings.listTimeout)
        do {
            let start = ContinuousClock.now
            let server: LXD.Server = try await driver.get("/1.0")
            let latency = (ContinuousClock.now - start).milliseconds(places: 2)
            let clustered = server.environment?.serverClustered ?? false
            var members: [ClusterMember] = []
            if clustered {
                let found: [LXD.Member] = try await driver.get("/1.0/cluster/members", query: ["recursion": "1"])
                members = found.map { ClusterMember(name: $0.serverName, url: $0.url, status: $0.status, message: $0.message, roles: $0.roles ?? []) }
            }
            return ClusterStatus(clusterID: cluster.id, reachable: true, latencyMs: latency, server: server.environment?.server ?? "lxd",
                                 serverName: server.environment?.serverName, serverVersion: server.environment?.serverVersion,
                                 apiExtensions: server.apiExtensions.count, clustered: clustered, members: members)
        } catch let error as ClusterError {
            return ClusterStatus(clusterID: cluster.id, reachable: false, error: error.description)
        }
    }

    /// `projects`, `profiles`, `networks`, `storage-pools` and `images`, in `?project=` where
    /// the kind lives in projects.
    @Sendable func resources(_ request: Request, context: AppRequestContext) async throws -> ListPage<ClusterResource> {
        let cluster = try await self.store.get(try context.parameters.uuid("id"), visibleTo: try context.requireIdentity())
        let kind = try context.parameters.require("resource")
        let project = try InstanceNames.project(request.uri.queryParameters.get("project"))
        let driver = try await self.connections.driver(for: cluster)
        let inProject = ["recursion": "1", "project": project]
        return try await clusterCall {
            switch kind {
            case "projects":
                let items: [LXD.Project] = try await driver.get("/1.0/projects", query: ["recursion": "1"])
                return ListPage(items: items.map { ClusterResource(name: $0.name, description: $0.description) })
            case "profiles":
                let items: [LXD.Profile] = try await driver.get("/1.0/profiles", query: inProject)
                return ListPage(items: items.map { ClusterResource(name: $0.name, description: $0.description, details: ["used_by": String($0.usedBy?.count ?? 0)]) })
            case "networks":
                let items: [LXD.Network] = try await driver.get("/1.0/networks", query: inProject)
                return ListPage(items: items.map {
                    ClusterResource(name: $0.name, description: $0.description,
                                    details: ["type": $0.type ?? "", "managed": String($0.managed ?? false), "status": $0.status ?? ""])
                })
            case "storage-pools":
                let items: [LXD.StoragePool] = try await driver.get("/1.0/storage-pools", query: ["recursion": "1"])
                return ListPage(items: items.map { ClusterResource(name: $0.name, description: $0.description, details: ["driver": $0.driver ?? "", "status": $0.status ?? ""]) })
            case "images":
                let items: [LXD.Image] = try await driver.get("/1.0/images", query: inProject)
                return ListPage(items: items.map {
                    ClusterResource(name: $0.aliases?.first?.name ?? String($0.fingerprint.prefix(12)), description: $0.properties?["description"],
                                    details: ["fingerprint": $0.fingerprint, "aliases": ($0.aliases ?? []).map(\.name).joined(separator: ","),
                                              "size": String($0.size ?? 0), "architecture": $0.architecture ?? "", "type": $0.type ?? ""])
                })
            default:
                throw APIError(.notFound, code: "not_found", message: "clusters have no '\(kind)'; try projects, profiles, networks, storage-pools or images")
            }
        }
    }
}
extension Cluster: ResponseEncodable {}
extension ClusterStatus: ResponseEncodable {}
