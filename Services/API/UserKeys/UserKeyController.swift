import Foundation
import Hummingbird
import Logging
import OrcastraModels
import OrcastraRuntime
import PostgresNIO

/// `/api/v1/me/keys`: the caller's SSH public keys ("my keys", to inject into instances), kept
/// in the secret store at `my_keys/<user id>/<key id>`. Adding and removing are audited as
/// secret writes and deletes, with the path and fingerprint, never the key material; a change
/// whose audit row cannot be written is undone (`audited`).
struct UserKeyController {
    let secrets: SecretsService
    let audit: AuditTrail
    let postgres: PostgresClient
    let logger: Logger

    func addRoutes(to routes: AccessRoutes) {
        routes.get("me/keys", .signedIn, use: self.list)
        routes.post("me/keys", .signedIn, use: self.add)
        routes.delete("me/keys/:id", .signedIn, use: self.remove)
    }

    /// `{"name": "laptop", "public_key": "ssh-ed25519 AAAA… comment"}`.
    struct AddRequest: Decodable {
        var name: String
        var publicKey: String

        enum CodingKeys: String, CodingKey {
            case name, publicKey = "public_key"
        }
    }

    static func folder(_ user: Identity) throws -> SecretPath { try SecretPath("my_keys/\(user.id.uuidString.lowercased())") }
    static func path(_ user: Identity, _ id: UUID) throws -> SecretPath { try SecretPath("my_keys/\(user.id.uuidString.lowercased())/\(id.uuidString.lowercased())") }

    /// Keys one user may keep: enough for every machine they use, few enough to list at once.
    static let maxKeys = 50

    /// Paged, newest first.
    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> ListPage<UserKey> {
        let page = try PageRequest(query: request.uri.queryParameters)
        return page.page(try await self.keys(of: try context.requireIdentity())) { PageRequest.newestFirst($0.createdAt, $0.id.uuidString) }
    }

    /// All of `user`'s keys.
    func keys(of user: Identity) async throws -> [UserKey] {
        var keys: [UserKey] = []
        for name in try await self.secrets.store.list(try Self.folder(user)) where !name.hasSuffix("/") {
            guard let id = UUID(uuidString: name), let stored = try await self.secrets.store.read(try Self.path(user, id)),
                  let key = UserKey(id: id, stored: stored.data) else { continue }
            keys.append(key)
        }
        return keys
    }

    @Sendable func add(_ request: Request, context: AppRequestContext) async throws -> Response {
        let user = try context.requireIdentity()
        let body = try await request.decode(as: AddRequest.self, context: context)
        let name = body.name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...100).contains(name.count) else {
            throw APIError(.unprocessableContent, code: "invalid_name", message: "name must be 1 to 100 characters")
        }
        let parsed = try SSHPublicKey(parsing: body.publicKey)
        let key = UserKey(id: UUID(), name: name, publicKey: parsed.line, type: parsed.type, bits: parsed.bits,
                          fingerprint: parsed.fingerprint, createdAt: Date())
        let path = try Self.path(user, key.id)
        let existing = try await self.keys(of: user)
        if let same = existing.first(where: { $0.fingerprint == key.fingerprint }) {
            throw APIError(.conflict, code: "duplicate_key", message: "this key is already saved as '\(same.name)'")
        }
        guard existing.count < Self.maxKeys else {
            throw APIError(.conflict, code: "key_limit_reached", message: "you have \(existing.count) keys saved, the most one user may keep (\(Self.maxKeys)); remove one first")
        }
        let store = self.secrets.store
        try await self.audited(AuditEvent(
            action: "secret.write", category: "secrets", actor: .init(user), target: .init(type: "secret", id: path.description),
            details: ["kind": "ssh_public_key", "fingerprint": key.fingerprint], requestID: context.state.requestID),
            undo: { try await store.delete(path) }) {
            _ = try await store.write(path, data: key.stored, cas: 0)
        }
        var response = try JSONResponse.encode(key, status: .created)
        response.headers[.location] = "/api/v1/me/keys/\(key.id.uuidString.lowercased())"
        return response
    }

    @Sendable func remove(_ request: Request, context: AppRequestContext) async throws -> HTTPResponse.Status {
        let user = try context.requireIdentity()
        let path = try Self.path(user, try context.parameters.uuid("id"))
        let store = self.secrets.store
        guard let stored = try await store.read(path) else {
            throw APIError(.notFound, code: "not_found", message: "no key \(path.segments.last ?? "") of yours")
        }
        try await self.audited(AuditEvent(
            action: "secret.delete", category: "secrets", actor: .init(user), target: .init(type: "secret", id: path.description),
            details: ["kind": "ssh_public_key"], requestID: context.state.requestID),
            undo: { _ = try await store.write(path, data: stored.data, cas: nil) }) {
            try await store.delete(path)
        }
        return .noContent
    }

    /// Makes `change` to the secret store inside the transaction that records `event`, and
    /// undoes it when that transaction does not commit (PostgreSQL went away between the two):
    /// the secret store is not the database, so one transaction cannot hold both, and without
    /// the undo a key would be added or removed with no audit row to say so. An undo that
    /// fails too is logged at error level with the path; the caller gets the original error.
    private func audited(_ event: AuditEvent, undo: () async throws -> Void, _ change: () async throws -> Void) async throws {
        var changed = false
        do {
            try await self.audit.record(event, client: self.postgres, logger: self.logger) { _ in
                try await change()
                changed = true
            }
        } catch {
            guard changed else { throw error }
            do { try await undo() } catch let undoError {
                self.logger.error("a key change whose audit event was not recorded could not be undone", metadata: [
                    "action": "\(event.action)", "path": "\(event.target.id ?? "")", "error": "\(undoError)",
                ])
            }
            throw error
        }
    }
}

/// One saved SSH public key.
struct UserKey: Codable, Sendable, Equatable, ResponseEncodable {
    var id: UUID
    var name: String
    var publicKey: String
    var type: String
    var bits: Int
    /// `SHA256:…`, as `ssh-keygen -l` prints it.
    var fingerprint: String
    var createdAt: Date

    enum CodingKeys: String, CodingKey {
        case id, name, type, bits, fingerprint
        case publicKey = "public_key", createdAt = "created_at"
    }

    init(id: UUID, name: String, publicKey: String, type: String, bits: Int, fingerprint: String, createdAt: Date) {
        self.id = id
        self.name = name
        self.publicKey = publicKey
        self.type = type
        self.bits = bits
        self.fingerprint = fingerprint
        self.createdAt = createdAt
    }

    /// From what the secret store holds; nil when it is not a key this controller wrote.
    init?(id: UUID, stored: [String: String]) {
        guard let name = stored["name"], let line = stored["public_key"], let type = stored["type"], let bits = stored["bits"].flatMap(Int.init),
              let fingerprint = stored["fingerprint"], let created = stored["created_at"].flatMap(Double.init) else { return nil }
        self.init(id: id, name: name, publicKey: line, type: type, bits: bits, fingerprint: fingerprint, createdAt: Date(timeIntervalSince1970: created))
    }

    var stored: [String: String] {
        ["name": self.name, "public_key": self.publicKey, "type": self.type, "bits": String(self.bits),
         "fingerprint": self.fingerprint, "created_at": String(self.createdAt.timeIntervalSince1970)]
    }
}
