import Foundation
import Logging
import OrcastraModels
import OrcastraRuntime
import PostgresNIO

/// What the API does with registered clusters, for the cluster routes and for the features
/// built on clusters (instances): a driver for each, rename, remove, live
/// status and server-wide resources. Registration itself is `ClusterRegistration`.
struct ClusterService: Sendable {
    let store: ClusterStore
    let connections: ClusterConnections
    let registration: ClusterRegistration
    let secrets: SecretsService
    let pki: PKIService
    let audit: AuditTrail
    let logger: Logger

    init(store: ClusterStore, connections: ClusterConnections, secrets: SecretsService, pki: PKIService, audit: AuditTrail, logger: Logger) {
        self.store = store
        self.connections = connections
        self.registration = ClusterRegistration(store: store, connections: connections, secrets: secrets, pki: pki, audit: audit, logger: logger)
        self.secrets = secrets
        self.pki = pki
        self.audit = audit
        self.logger = logger
    }

    var settings: ClusterSettings { self.connections.settings }

    func list(in scope: Authorizer.ListScope) async throws -> [Cluster] {
        try await self.store.list(in: scope)
    }

    /// The cluster a route names, once the route has checked the caller's right to it.
    func get(_ id: UUID) async throws -> Cluster {
        try await self.store.get(id)
    }

    /// The driver for a cluster the caller has already been allowed to see, for changes: each
    /// call may take `callTimeout` (30 s), as creating an instance or pulling an image can.
    func driver(for cluster: Cluster) async throws -> ClusterDriver {
        try await self.connections.driver(for: cluster)
    }

    /// The same driver for reads (status, lists, one instance's detail), which LXD answers in
    /// milliseconds when it is well: each call is given up after `listTimeout` (5 s) with a 504,
    /// so a hung daemon costs a dashboard page seconds, not half a minute.
    func reader(for cluster: Cluster) async throws -> ClusterDriver {
        try await self.connections.driver(for: cluster).with(timeout: self.settings.listTimeout)
    }

    func register(_ request: ClusterRegistration.Request) async throws -> Cluster {
        try await self.registration.register(request)
    }

    /// Renames or redescribes `cluster`, audited with both versions.
    func update(_ cluster: Cluster, name: String?, description: String?, by caller: Identity, requestID: String?) async throws -> Cluster {
        let name = name ?? cluster.name
        let description = description ?? cluster.description
        guard ClusterRegistration.validName(name) else {
            throw APIError(.unprocessableContent, code: "invalid_name", message: "name must be 1 to 63 letters, digits, '.', '_' or '-', starting with a letter or digit")
        }
        try ClusterRegistration.checkDescription(description)
        guard try await !self.store.nameTaken(name, except: cluster.id) else {
            throw APIError(.conflict, code: "name_taken", message: "a cluster named '\(name)' is already registered")
        }
        try await self.audit.record(AuditEvent(
            action: "cluster.update", category: "clusters", actor: .init(caller), target: .init(type: "cluster", id: cluster.id.uuidString.lowercased(), host: name),
            requestID: requestID, before: ["name": cluster.name, "description": cluster.description],
            after: ["name": name, "description": description]), client: self.store.client, logger: self.logger) { connection in
            try await self.store.update(cluster.id, name: name, description: description, on: connection)
        }
        return try await self.store.get(cluster.id)
    }

    /// Takes the certificate our CA issued out of the server's trust store when the server
    /// answers, then removes the row (audited) and after it the credentials; the certificate is
    /// revoked at our CA afterwards.
    /// Refused while projects live on the cluster (the answer names them).
    func remove(_ id: UUID, by caller: Identity, requestID: String?) async throws {
        let cluster = try await self.store.get(id)
        try await self.checkNoProjects(id)
        let serial = try await self.store.clientSerial(cluster.id)
        // Only a certificate we issued is ours to take out of the server's trust store; one the
        // operator brought stays trusted there.
        var serverCleanup = serial == nil ? "kept: the operator's certificate" : "removed"
        if serial != nil {
            do {
                let driver = try await self.connections.driver(for: cluster)
                try await driver.with(timeout: self.settings.listTimeout).removeCertificate(fingerprint: cluster.clientFingerprint)
            } catch ClusterError.server(404, _) {
                serverCleanup = "already absent"
            } catch let error as ClusterError {
                serverCleanup = "skipped: \(error)"
            } catch {
                serverCleanup = "skipped: \((error as? any APIErrorConvertible)?.apiError.description ?? "\(error)")"
            }
        }
        let path = try ClusterConnections.secretPath(cluster.id)
        try await self.audit.record(AuditEvent(
            action: "cluster.delete", category: "clusters", actor: .init(caller), target: .init(type: "cluster", id: cluster.id.uuidString.lowercased(), host: cluster.name),
            details: ["name": cluster.name, "endpoint": cluster.endpoint, "server_trust": serverCleanup], requestID: requestID),
            client: self.store.client, logger: self.logger) { connection in
            do {
                try await self.store.delete(cluster.id, on: connection)
            } catch let error as PSQLError where error.foreignKeyViolation {
                // A project was created while this ran.
                throw APIError(.conflict, code: "cluster_not_empty", message: "a project was just created on this cluster; delete it first")
            }
        }
        // The credentials go once the row has gone: deleted inside the transaction, a commit
        // that failed after them (PostgreSQL going away) would leave a cluster that can no
        // longer be reached. Credentials left behind by a failure here are only logged.
        do { try await self.secrets.store.delete(path) } catch {
            self.logger.error("a removed cluster's credentials could not be deleted", metadata: ["path": "\(path)", "error": "\(error)"])
        }
        await self.connections.forget(cluster.id)
        if let serial {
            do { _ = try await self.pki.ca().revoke(serial: serial) } catch {
                self.logger.warning("could not revoke a removed cluster's certificate", metadata: ["serial": "\(serial)", "error": "\(error)"])
            }
        }
    }

    private func checkNoProjects(_ id: UUID) async throws {
        let projects = try await self.store.projectNames(on: id)
        guard projects.isEmpty else {
            throw APIError(.conflict, code: "cluster_not_empty",
                           message: "projects still live on this cluster: \(projects.joined(separator: ", ")); delete them first")
        }
    }

    /// Reachability, latency and what the server says about itself; unreachable is an answer
    /// (`reachable: false`), not an error.
    func status(_ id: UUID) async throws -> ClusterStatus {
        let cluster = try await self.store.get(id)
        let driver = try await self.reader(for: cluster)
        do {
            let start = ContinuousClock.now
            let server = try await driver.server()
            let latency = (ContinuousClock.now - start).milliseconds(places: 2)
            let clustered = server.environment?.serverClustered ?? false
            let members = clustered ? try await driver.members() : []
            return ClusterStatus(clusterID: cluster.id, reachable: true, latencyMs: latency, server: server.environment?.server ?? "lxd",
                                 serverName: server.environment?.serverName, serverVersion: server.environment?.serverVersion,
                                 apiExtensions: server.apiExtensions.count, clustered: clustered,
                                 members: members.map { ClusterMember(name: $0.serverName, url: $0.url, status: $0.status, message: $0.message, roles: $0.roles ?? []) })
        } catch let error as ClusterError {
            return ClusterStatus(clusterID: cluster.id, reachable: false, error: error.description)
        }
    }

    /// Projects, profiles, networks, storage pools or images (`kind` as the route names it),
    /// in `project` (`default` when nil) where the kind lives in projects.
    func resources(_ id: UUID, kind: String, project: String?) async throws -> [ClusterResource] {
        let cluster = try await self.store.get(id)
        let project = try LXDNames.project(project)
        guard let kind = ResourceKind(rawValue: kind) else {
            throw APIError(.notFound, code: "not_found", message: "clusters have no '\(kind)'; try projects, profiles, networks, storage-pools or images")
        }
        return try await self.reader(for: cluster).useProject(project).resources(kind)
    }
}
