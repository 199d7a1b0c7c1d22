import Foundation
import Logging
import OrcastraModels
import OrcastraRuntime
import PostgresNIO

/// The `clusters` table: the rows lists and routes read, and the ones registration and
/// removal write (always inside the audited transaction, hence the `connection` parameters).
/// Who may see which is the `Authorizer`'s to say: routes check it before they get here, and
/// lists pass the caller's `ListScope`.
struct ClusterStore: Sendable {
    let client: PostgresClient
    let logger: Logger

    func list(in scope: Authorizer.ListScope) async throws -> [Cluster] {
        switch scope {
        case .everyone: try await self.select("ORDER BY c.name")
        case .owner(let owner): try await self.select("WHERE c.owner_id = \(owner) ORDER BY c.name")
        case .nothing: []
        }
    }

    /// The cluster a route names (the route has checked the caller's right to it); 404 when it
    /// is gone.
    func get(_ id: UUID) async throws -> Cluster {
        guard let cluster = try await self.find(id) else {
            throw APIError(.notFound, code: "not_found", message: "no cluster \(id.uuidString.lowercased())")
        }
        return cluster
    }

    /// Any cluster by id, whoever owns it.
    func find(_ id: UUID) async throws -> Cluster? {
        try await self.select("WHERE c.id = \(id)").first
    }

    /// The names of the projects on cluster `id`.
    func projectNames(on id: UUID) async throws -> [String] {
        try await self.client.boundedQuery("SELECT name FROM projects WHERE cluster_id = \(id) ORDER BY lower(name)", logger: self.logger)
            .decode(String.self).all()
    }

    func nameTaken(_ name: String, except id: UUID? = nil) async throws -> Bool {
        let rows = try await self.client.boundedQuery(
            "SELECT 1 FROM clusters WHERE lower(name) = lower(\(name)) AND (\(id)::uuid IS NULL OR id <> \(id))", logger: self.logger)
        for try await _ in rows { return true }
        return false
    }

    /// How many clusters `owner` has. On a transaction's `connection` it first takes a lock per
    /// owner held to the commit, so two registrations of one partner count one after the other.
    func count(ownedBy owner: UUID, on connection: DatabaseTransaction?) async throws -> Int {
        let query: PostgresQuery = "SELECT count(*)::int FROM clusters WHERE owner_id = \(owner)"
        guard let connection else {
            return try await self.client.boundedQuery(query, logger: self.logger).decode(Int.self).all().first ?? 0
        }
        try await connection.query("SELECT pg_advisory_xact_lock(hashtextextended(\("clusters-of:" + owner.uuidString), 0))", logger: self.logger)
        return try await connection.query(query, logger: self.logger).decode(Int.self).all().first ?? 0
    }

    func insert(_ cluster: Cluster, clientSerial: String?, on connection: DatabaseTransaction) async throws {
        try await connection.query(
            """
            INSERT INTO clusters (id, name, description, endpoint, server_fingerprint, client_fingerprint, client_serial, owner_id)
            VALUES (\(cluster.id), \(cluster.name), \(cluster.description), \(cluster.endpoint), \(cluster.serverFingerprint),
                    \(cluster.clientFingerprint), \(clientSerial), \(cluster.ownerID))
            """, logger: self.logger)
    }

    func update(_ id: UUID, name: String, description: String, on connection: DatabaseTransaction) async throws {
        try await connection.query(
            "UPDATE clusters SET name = \(name), description = \(description), updated_at = now() WHERE id = \(id)", logger: self.logger)
    }

    func delete(_ id: UUID, on connection: DatabaseTransaction) async throws {
        try await connection.query("DELETE FROM clusters WHERE id = \(id)", logger: self.logger)
    }

    /// The certificate serial our CA issued for the cluster (nil when the operator brought one).
    func clientSerial(_ id: UUID) async throws -> String? {
        let rows = try await self.client.boundedQuery("SELECT client_serial FROM clusters WHERE id = \(id)", logger: self.logger)
        for try await serial in rows.decode(String?.self) { return serial }
        return nil
    }

    private func select(_ filter: PostgresQuery) async throws -> [Cluster] {
        let query = PostgresQuery("""
            SELECT c.id, c.name, c.description, c.endpoint, c.server_fingerprint, c.client_fingerprint, c.owner_id, u.name,
                   c.created_at, c.updated_at
            FROM clusters c LEFT JOIN users u ON u.id = c.owner_id
            """, filter)
        let rows = try await self.client.boundedQuery(query, logger: self.logger)
        var clusters: [Cluster] = []
        for try await (id, name, description, endpoint, server, clientFP, owner, ownerName, created, updated)
            in rows.decode((UUID, String, String, String, String, String, UUID?, String?, Date, Date).self) {
            clusters.append(Cluster(id: id, name: name, description: description, endpoint: endpoint, serverFingerprint: server,
                                    clientFingerprint: clientFP, ownerID: owner, ownerName: ownerName, createdAt: created, updatedAt: updated))
        }
        return clusters
    }
}
