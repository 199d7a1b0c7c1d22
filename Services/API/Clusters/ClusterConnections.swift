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
        let path = try Self.secretPath(cluster.id)
        let stored = try await self.secrets.store.read(path)
        guard let stored, let credentials = ClusterCredentials(stored: stored.data) else {
            throw APIError(.internalServerError, code: "cluster_credentials_missing",
                           message: "the credentials of cluster '\(cluster.name)' are missing from the secret store; remove and register it again")
        }
        let driver = try self.driver(endpoint: cluster.endpoint, credentials: credentials)
        await self.keep(driver, for: cluster.id)
        return driver
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
        self.failures.forget(id)
    }
}
