import Foundation
import Logging
import PostgresNIO

/// The relations the `Authorizer` decides from, read from PostgreSQL when a decision needs
/// them: who owns a cluster or an organization, who started an operation and where.
struct AccessRelations: Sendable {
    let client: PostgresClient
    let logger: Logger

    /// A resource that exists, and the user it belongs to (none: registered by the system,
    /// so only admins reach it).
    struct Owned: Sendable, Equatable {
        var owner: UUID?
    }

    func cluster(_ id: UUID) async throws -> Owned? {
        let rows = try await self.client.boundedQuery("SELECT owner_id FROM clusters WHERE id = \(id)", logger: self.logger)
        return try await rows.decode(UUID?.self).all().first.map(Owned.init)
    }

    func organization(_ id: UUID) async throws -> Owned? {
        let rows = try await self.client.boundedQuery("SELECT owner_id FROM organizations WHERE id = \(id)", logger: self.logger)
        return try await rows.decode(UUID.self).all().first.map(Owned.init)
    }

    /// Who started an operation (none: the system) and on which cluster.
    struct Operation: Sendable {
        var startedBy: UUID?
        var cluster: UUID
    }

    func operation(_ id: UUID) async throws -> Operation? {
        let rows = try await self.client.boundedQuery("SELECT created_by, cluster_id FROM operations WHERE id = \(id)", logger: self.logger)
        return try await rows.decode((UUID?, UUID).self).all().first.map { Operation(startedBy: $0.0, cluster: $0.1) }
    }
}
