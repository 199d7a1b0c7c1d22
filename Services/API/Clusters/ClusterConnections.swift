import Foundation
import OrcastraModels
import OrcastraRuntime

/// Hands out a `ClusterDriver` per registered cluster, with its credentials read once from the
/// secret store at `clusters/<id>`.
///
/// Drivers are kept so the secret store is read and the TLS context built once per cluster;
/// removal and renames forget them. The clusters that recently did not answer the aggregated
/// list are kept here too (`failures`), and forgotten with the cluster.
actor ClusterConnections {
    let secrets: SecretsService
    let settings: ClusterSettings
    let failures: ClusterFailureMemory
    private var drivers: [UUID: ClusterDriver] = [:]
    /// Drivers with a project's restricted certificate, by cluster and project.
    private var restricted: [UUID: [UUID: ClusterDriver]] = [:]

    init(secrets: SecretsService, settings: ClusterSettings) {
        self.secrets = secrets
        self.settings = settings
        self.failures = ClusterFailureMemory(window: settings.listFailureMemory)
    }

    static func secretPath(_ id: UUID) throws -> SecretPath {
        try SecretPath("clusters/\(id.uuidString.lowercased())")
    }

    /// The driver for `cluster`. The secret store's failures answer for themselves (503 when
    /// Vault is sealed or unreachable); missing credentials are a 500.
    ///
    /// Nonisolated so that the first list after a start, which builds a driver (secret read, key
    /// and certificate parsed into a TLS context) for every cluster at once, builds them in the
    /// callers' tasks side by side instead of one after the other on this actor.
    nonisolated func driver(for cluster: Cluster) async throws -> ClusterDriver {
        if let driver = await self.kept(cluster) { return driver }
        let driver = try self.driver(endpoint: cluster.endpoint, credentials: try await self.credentials(of: cluster))
        await self.keep(driver, for: cluster.id)
        return driver
    }

    /// The cluster's credentials as the secret store holds them.
    nonisolated func credentials(of cluster: Cluster) async throws -> ClusterCredentials {
        let stored = try await self.secrets.store.read(try Self.secretPath(cluster.id))
        guard let stored, let credentials = ClusterCredentials(stored: stored.data) else {
            throw APIError(.internalServerError, code: "cluster_credentials_missing",
                           message: "the credentials of cluster '\(cluster.name)' are missing from the secret store; remove and register it again")
        }
        return credentials
    }

    /// Where a project's restricted client certificate and key are kept: beside its cluster's
    /// credentials, whose pinned server certificate it shares.
    static func secretPath(_ cluster: UUID, project: UUID) throws -> SecretPath {
        try SecretPath("clusters/\(cluster.uuidString.lowercased())/projects/\(project.uuidString.lowercased())")
    }

    /// The driver that speaks to `cluster` with project `project`'s certificate, which the
    /// cluster trusts inside that project's LXD project only (`ClusterService.trustRestricted`).
    nonisolated func driver(for cluster: Cluster, restrictedTo project: UUID) async throws -> ClusterDriver {
        if let driver = await self.kept(cluster, project) { return driver }
        let server = try await self.credentials(of: cluster).serverCertificatePEM
        let stored = try await self.secrets.store.read(try Self.secretPath(cluster.id, project: project))
        guard let certificate = stored?.data["certificate"], let key = stored?.data["private_key"] else {
            throw APIError(.internalServerError, code: "project_credentials_missing",
                           message: "the certificate of project \(project.uuidString.lowercased()) on cluster '\(cluster.name)' is missing from the secret store")
        }
        let driver = try self.driver(endpoint: cluster.endpoint, credentials: ClusterCredentials(certificatePEM: certificate, privateKeyPEM: key, serverCertificatePEM: server))
        await self.keep(driver, for: cluster.id, project: project)
        return driver
    }

    private func kept(_ cluster: Cluster, _ project: UUID) -> ClusterDriver? {
        self.restricted[cluster.id]?[project].flatMap { $0.endpoint == cluster.endpoint ? $0 : nil }
    }

    private func keep(_ driver: ClusterDriver, for id: UUID, project: UUID) {
        self.restricted[id, default: [:]][project] = driver
    }

    /// Forgets a project's driver (its certificate was taken out of the trust store).
    func forget(_ id: UUID, project: UUID) {
        self.restricted[id]?[project] = nil
    }

    private func kept(_ cluster: Cluster) -> ClusterDriver? {
        self.drivers[cluster.id].flatMap { $0.endpoint == cluster.endpoint ? $0 : nil }
    }

    private func keep(_ driver: ClusterDriver, for id: UUID) {
        self.drivers[id] = driver
    }

    /// A driver for credentials not (yet) stored: registration uses it.
    nonisolated func driver(endpoint: String, credentials: ClusterCredentials) throws -> ClusterDriver {
        do {
            return try ClusterDriver(endpoint: endpoint, credentials: credentials, connectTimeout: self.settings.connectTimeout, timeout: self.settings.callTimeout)
        } catch {
            throw APIError(.unprocessableContent, code: "invalid_certificate", message: "the certificate or key cannot be used for TLS: \(error)")
        }
    }

    func forget(_ id: UUID) {
        self.drivers[id] = nil
        self.restricted[id] = nil
        self.failures.forget(id)
    }
}
