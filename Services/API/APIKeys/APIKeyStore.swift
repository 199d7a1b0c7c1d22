import Foundation
import Hummingbird
import Logging
import OrcastraModels
import OrcastraRuntime
import PostgresNIO

/// API keys in PostgreSQL: created and revoked through the audit trail, checked on every use.
struct APIKeyStore: Sendable {
    let client: PostgresClient
    let audit: AuditTrail
    let logger: Logger

    /// Why a presented key does not authenticate; the caller hears only "401".
    enum Refusal: Error, CustomStringConvertible {
        case unknown, revoked, expired, ownerDisabled
        var description: String {
            switch self {
            case .unknown: "unknown API key"
            case .revoked: "API key revoked"
            case .expired: "API key expired"
            case .ownerDisabled: "the key's owner is disabled"
            }
        }
    }

    /// A key that authenticated, and what it may do.
    struct Grant: Sendable, Equatable {
        var keyID: UUID
        var ownerID: UUID
        var scope: APIKeyScope
        /// The key's own ceiling; the caller takes the lower of this and the owner's role now.
        var role: Role
    }

    /// The grant of a presented key, refusing unknown, revoked and expired keys and keys whose
    /// owner is disabled. `last_used_at` is written only for keys that are accepted.
    func authenticate(_ presented: String) async throws -> Grant {
        let hash = APIKeySecret.hash(presented)
        let rows = try await self.client.boundedQuery(
            """
            SELECT k.id, k.owner_id, k.scope, k.role, k.revoked_at IS NOT NULL, k.expires_at <= now(), u.disabled_at IS NOT NULL
            FROM api_keys k JOIN users u ON u.id = k.owner_id
            WHERE k.key_hash = \(hash)
            """, logger: self.logger)
        for try await (id, owner, scope, role, revoked, expired, disabled) in rows.decode((UUID, UUID, String, String, Bool, Bool, Bool).self) {
            if revoked { throw Refusal.revoked }
            if expired { throw Refusal.expired }
            if disabled { throw Refusal.ownerDisabled }
            try await self.client.boundedQuery("UPDATE api_keys SET last_used_at = now() WHERE id = \(id)", logger: self.logger)
            // Unknown text cannot get past the table's CHECK constraints; read-only and tenant
            // are the safe readings should it ever.
            return Grant(keyID: id, ownerID: owner, scope: APIKeyScope(rawValue: scope) ?? .readOnly, role: Role(rawValue: role) ?? .tenant)
        }
        throw Refusal.unknown
    }

    /// A new key for `owner`; the secret is in the answer and nowhere else.
    func create(name: String, expiresAt: Date, scope: APIKeyScope, role: Role, owner: Identity, requestID: String?) async throws -> APIKeyCreated {
        let secret = APIKeySecret.generate()
        let event = AuditEvent(
            action: "api_key.create", category: "api_key", severity: .info, actor: .init(owner),
            target: .init(type: "api_key", id: secret.prefix), result: .success,
            details: ["name": name, "prefix": secret.prefix, "scope": scope.rawValue, "role": role.rawValue,
                      "expires_at": ISO8601DateFormatter().string(from: expiresAt)],
            requestID: requestID)
        return try await self.audit.record(event, client: self.client, logger: self.logger) { connection in
            let rows = try await connection.query(
                """
                INSERT INTO api_keys (owner_id, name, prefix, key_hash, expires_at, scope, role)
                VALUES (\(owner.id), \(name), \(secret.prefix), \(secret.hash), \(expiresAt), \(scope.rawValue), \(role.rawValue))
                RETURNING id, created_at
                """, logger: self.logger)
            for try await (id, created) in rows.decode((UUID, Date).self) {
                return APIKeyCreated(
                    key: secret.value,
                    info: APIKeyInfo(id: id, name: name, prefix: secret.prefix, ownerID: owner.id, ownerName: owner.name,
                                     createdAt: created, lastUsedAt: nil, expiresAt: expiresAt, revokedAt: nil, scope: scope, role: role))
            }
            throw APIError(.internalServerError, code: "internal_error", message: "the API key could not be stored")
        }
    }

    /// The keys in `scope`; never the secrets.
    func list(in scope: Authorizer.ListScope) async throws -> [APIKeyInfo] {
        let rows = try await self.client.boundedQuery(
            """
            SELECT k.id, k.name, k.prefix, k.owner_id, u.name, k.created_at, k.last_used_at, k.expires_at, k.revoked_at, k.scope, k.role
            FROM api_keys k JOIN users u ON u.id = k.owner_id
            WHERE \(scope.everyone) OR k.owner_id = \(scope.owner)
            ORDER BY k.created_at DESC
            """, logger: self.logger)
        var keys: [APIKeyInfo] = []
        for try await (id, name, prefix, ownerID, ownerName, created, used, expires, revoked, scope, role)
            in rows.decode((UUID, String, String, UUID, String?, Date, Date?, Date?, Date?, String, String).self) {
            keys.append(APIKeyInfo(id: id, name: name, prefix: prefix, ownerID: ownerID, ownerName: ownerName,
                                   createdAt: created, lastUsedAt: used, expiresAt: expires, revokedAt: revoked,
                                   scope: APIKeyScope(rawValue: scope) ?? .readOnly, role: Role(rawValue: role) ?? .tenant))
        }
        return keys
    }

    /// Revokes key `id` if it is in `scope` (the actor's own; an admin's is everyone's); false
    /// when there is no such key for them. Revoking twice is not an error and is audited once.
    func revoke(id: UUID, actor: Identity, in scope: Authorizer.ListScope, requestID: String?) async throws -> Bool {
        let event = AuditEvent(
            action: "api_key.revoke", category: "api_key", severity: .info, actor: .init(actor),
            target: .init(type: "api_key", id: id.uuidString), result: .success, requestID: requestID)
        let found = try await self.client.boundedQuery(
            "SELECT revoked_at IS NOT NULL FROM api_keys WHERE id = \(id) AND (\(scope.everyone) OR owner_id = \(scope.owner))",
            logger: self.logger).decode(Bool.self).all()
        guard let alreadyRevoked = found.first else { return false }
        if alreadyRevoked { return true }
        try await self.audit.record(event, client: self.client, logger: self.logger) { connection in
            try await connection.query("UPDATE api_keys SET revoked_at = now() WHERE id = \(id) AND revoked_at IS NULL", logger: self.logger)
        }
        return true
    }
}
