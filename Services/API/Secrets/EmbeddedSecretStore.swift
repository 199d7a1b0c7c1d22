import Foundation
import Logging
import PostgresNIO

/// The default `SecretStore`: versioned, AES-GCM-sealed rows in PostgreSQL.
///
/// Each version is sealed with `SecretCipher` and bound to `path#version`, so an edited or
/// moved ciphertext is reported as `corrupted` rather than returned. Writes lock the path's
/// row for the compare-and-set check, so concurrent writers get distinct versions.
struct EmbeddedSecretStore: SecretStore {
    let client: PostgresClient
    let cipher: SecretCipher
    let logger: Logger

    func read(_ path: SecretPath) async throws -> StoredSecret? {
        let key = path.description
        let rows = try await self.client.boundedQuery(
            """
            SELECT v.version, v.ciphertext, v.created_at FROM secrets s
            JOIN secret_versions v ON v.path = s.path AND v.version = s.current_version
            WHERE s.path = \(key)
            """, logger: self.logger)
        for try await (version, ciphertext, createdAt) in rows.decode((Int, Data, Date).self) {
            return StoredSecret(data: try self.open(ciphertext, path: key, version: version), version: version, createdAt: createdAt)
        }
        return nil
    }

    @discardableResult
    func write(_ path: SecretPath, data: [String: String], cas: Int?) async throws -> Int {
        let key = path.description
        let plaintext = try JSONEncoder().encode(data)
        return try await self.client.transaction(logger: self.logger) { connection in
            try await connection.query("INSERT INTO secrets (path) VALUES (\(key)) ON CONFLICT (path) DO NOTHING", logger: self.logger)
            var current = 0
            for try await version in try await connection.query(
                "SELECT current_version FROM secrets WHERE path = \(key) FOR UPDATE", logger: self.logger
            ).decode(Int.self) {
                current = version
            }
            if let cas, cas != current { throw SecretStoreError.versionConflict(expected: cas, current: current) }
            let next = current + 1
            let sealed = try self.cipher.seal(plaintext, boundTo: "\(key)#\(next)")
            try await connection.query(
                "INSERT INTO secret_versions (path, version, key_id, ciphertext) VALUES (\(key), \(next), \(self.cipher.keyID), \(sealed))",
                logger: self.logger)
            try await connection.query(
                "UPDATE secrets SET current_version = \(next), updated_at = now() WHERE path = \(key)", logger: self.logger)
            return next
        }
    }

    func list(_ folder: SecretPath) async throws -> [String] {
        let prefix = folder.description + "/"
        var children: Set<String> = []
        let rows = try await self.client.boundedQuery(
            "SELECT path FROM secrets WHERE starts_with(path, \(prefix)) AND current_version > 0", logger: self.logger)
        for try await path in rows.decode(String.self) {
            let rest = path.dropFirst(prefix.count)
            if let slash = rest.firstIndex(of: "/") {
                children.insert(String(rest[..<slash]) + "/")
            } else {
                children.insert(String(rest))
            }
        }
        return children.sorted()
    }

    func delete(_ path: SecretPath) async throws {
        try await self.client.boundedQuery("DELETE FROM secrets WHERE path = \(path.description)", logger: self.logger)
    }

    private func open(_ ciphertext: Data, path: String, version: Int) throws -> [String: String] {
        do {
            let plaintext = try self.cipher.open(ciphertext, boundTo: "\(path)#\(version)")
            return try JSONDecoder().decode([String: String].self, from: plaintext)
        } catch {
            self.logger.error("secret failed its integrity check", metadata: ["path": "\(path)", "version": "\(version)"])
            throw SecretStoreError.corrupted(path: path)
        }
    }
}
