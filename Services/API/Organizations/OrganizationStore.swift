import Foundation
import Logging
import OrcastraModels
import OrcastraRuntime
import PostgresNIO

/// The `organizations` table. Every change is one audited transaction with the organization's
/// fields before and after; who may see or change which is the `Authorizer`'s to say.
struct OrganizationStore: Sendable {
    let client: PostgresClient
    let audit: AuditTrail
    let logger: Logger

    private static let select = """
        SELECT o.id, o.name, o.description, o.owner_id, u.name, o.created_at, o.updated_at
        FROM organizations o JOIN users u ON u.id = o.owner_id
        """

    func list(in scope: Authorizer.ListScope) async throws -> [Organization] {
        try await Self.organizations(try await self.client.boundedQuery(
            PostgresQuery(Self.select, "WHERE \(scope.everyone) OR o.owner_id = \(scope.owner) ORDER BY lower(o.name), o.id"), logger: self.logger))
    }

    /// The organization a route names (the route has checked the caller's right to it).
    func get(_ id: UUID) async throws -> Organization {
        let found = try await Self.organizations(try await self.client.boundedQuery(PostgresQuery(Self.select, "WHERE o.id = \(id)"), logger: self.logger))
        guard let organization = found.first else { throw Self.notFound(id) }
        return organization
    }

    func create(name: String, description: String, owner: UUID, by actor: Identity, requestID: String?) async throws -> Organization {
        let id = UUID()
        try await self.writing(name: name) {
            try await self.audit.record(AuditEvent(
                action: "organization.create", category: "tenancy", actor: .init(actor),
                target: .init(type: "organization", id: id.uuidString.lowercased(), host: name), requestID: requestID,
                after: ["name": name, "description": description, "owner_id": owner.uuidString.lowercased()]),
                client: self.client, logger: self.logger) { transaction in
                let owners = try await transaction.query("SELECT role FROM users WHERE id = \(owner) FOR SHARE", logger: self.logger).decode(String.self).all()
                guard let role = owners.first.flatMap(Role.init(rawValue:)), role >= .partner else {
                    throw APIError(.unprocessableContent, code: "invalid_owner",
                                   message: "owner_id must be a partner or an admin who has signed in (\(owners.isEmpty ? "no such user" : "that user is a tenant"))")
                }
                try await transaction.query(
                    "INSERT INTO organizations (id, name, description, owner_id) VALUES (\(id), \(name), \(description), \(owner))", logger: self.logger)
            }
        }
        return try await self.get(id)
    }

    /// Changes what is given; the row is locked while the change is made, so the audit's
    /// `before` is what was replaced.
    func update(_ id: UUID, name: String?, description: String?, by actor: Identity, requestID: String?) async throws -> Organization {
        try await self.writing(name: name ?? "") {
            try await self.audit.record(client: self.client, logger: self.logger) { transaction in
                let rows = try await transaction.query("SELECT name, description FROM organizations WHERE id = \(id) FOR UPDATE", logger: self.logger)
                guard let (oldName, oldDescription) = try await rows.decode((String, String).self).all().first else { throw Self.notFound(id) }
                let (newName, newDescription) = (name ?? oldName, description ?? oldDescription)
                guard (newName, newDescription) != (oldName, oldDescription) else { return ((), nil) }
                try await transaction.query(
                    "UPDATE organizations SET name = \(newName), description = \(newDescription), updated_at = now() WHERE id = \(id)",
                    logger: self.logger)
                return ((), AuditEvent(
                    action: "organization.update", category: "tenancy", actor: .init(actor),
                    target: .init(type: "organization", id: id.uuidString.lowercased(), host: newName), requestID: requestID,
                    before: ["name": oldName, "description": oldDescription], after: ["name": newName, "description": newDescription]))
            }
        }
        return try await self.get(id)
    }

    /// Refused while the organization has projects, which the answer names.
    func delete(_ id: UUID, by actor: Identity, requestID: String?) async throws {
        do {
            try await self.deleteEmpty(id, by: actor, requestID: requestID)
        } catch let error as PSQLError where error.foreignKeyViolation {
            // A project was added while this ran.
            try await self.deleteEmpty(id, by: actor, requestID: requestID)
        }
    }

    private func deleteEmpty(_ id: UUID, by actor: Identity, requestID: String?) async throws {
        try await self.audit.record(client: self.client, logger: self.logger) { transaction in
            let projects = try await transaction.query(
                "SELECT name FROM projects WHERE organization_id = \(id) ORDER BY lower(name)", logger: self.logger).decode(String.self).all()
            guard projects.isEmpty else {
                throw APIError(.conflict, code: "organization_not_empty",
                               message: "the organization still has projects: \(projects.joined(separator: ", ")); delete them first")
            }
            let rows = try await transaction.query(
                "DELETE FROM organizations WHERE id = \(id) RETURNING name, description, owner_id", logger: self.logger)
            guard let (name, description, owner) = try await rows.decode((String, String, UUID).self).all().first else { throw Self.notFound(id) }
            return ((), AuditEvent(
                action: "organization.delete", category: "tenancy", actor: .init(actor),
                target: .init(type: "organization", id: id.uuidString.lowercased(), host: name), requestID: requestID,
                before: ["name": name, "description": description, "owner_id": owner.uuidString.lowercased()]))
        }
    }

    /// `body`, answering the unique index on (owner, name) as a 409 that names the clash.
    private func writing(name: String, _ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch let error as PSQLError where error.uniqueViolation {
            throw APIError(.conflict, code: "name_taken", message: "this owner already has an organization named '\(name)' (names are compared ignoring case)")
        }
    }

    static func notFound(_ id: UUID) -> APIError {
        APIError(.notFound, code: "not_found", message: "no organization \(id.uuidString.lowercased())")
    }

    private static func organizations(_ rows: QueryRows) async throws -> [Organization] {
        try await rows.decode((UUID, String, String, UUID, String?, Date, Date).self).all().map {
            Organization(id: $0.0, name: $0.1, description: $0.2, ownerID: $0.3, ownerName: $0.4, createdAt: $0.5, updatedAt: $0.6)
        }
    }
}
