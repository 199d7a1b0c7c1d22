import Foundation
import Logging
import PostgresNIO

/// Re-seals everything the embedded backends keep encrypted — secret versions and CA keys —
/// from the previous master key to the current one, in one transaction.
///
/// Rows already sealed with the new key are left alone, so running it twice is harmless; a row
/// sealed with a key that is neither stops the rotation and changes nothing, because it would
/// otherwise be lost.
struct SecretKeyRotation {
    let client: PostgresClient
    let previous: SecretCipher
    let current: SecretCipher
    let logger: Logger

    /// How many rows were re-sealed.
    struct Outcome: Equatable {
        var secretVersions = 0
        var caKeys = 0
    }

    /// A row sealed with neither key.
    struct UnknownKey: Error, CustomStringConvertible {
        var row: String
        var keyID: String
        var description: String { "\(self.row) is sealed with key \(self.keyID), which is neither SECRET_KEY nor SECRET_KEY_PREVIOUS; nothing was changed" }
    }

    func run() async throws -> Outcome {
        return try await self.client.transaction(logger: self.logger, queryLimit: PostgresClient.maintenanceQueryLimit) { connection in
            var outcome = Outcome()
            var versions: [(String, Int, String, Data)] = []
            for try await row in try await connection.query(
                "SELECT path, version, key_id, ciphertext FROM secret_versions ORDER BY path, version FOR UPDATE", logger: self.logger
            ).decode((String, Int, String, Data).self) {
                versions.append(row)
            }
            for (path, version, keyID, ciphertext) in versions where keyID != self.current.keyID {
                let context = "\(path)#\(version)"
                let sealed = try self.reseal(ciphertext, keyID: keyID, context: context, row: "secret \(context)")
                try await connection.query(
                    "UPDATE secret_versions SET key_id = \(self.current.keyID), ciphertext = \(sealed) WHERE path = \(path) AND version = \(version)",
                    logger: self.logger)
                outcome.secretVersions += 1
            }
            var keys: [(String, String, Data)] = []
            for try await row in try await connection.query(
                "SELECT name, key_id, key_ciphertext FROM ca_keys ORDER BY name FOR UPDATE", logger: self.logger
            ).decode((String, String, Data).self) {
                keys.append(row)
            }
            for (name, keyID, ciphertext) in keys where keyID != self.current.keyID {
                let sealed = try self.reseal(ciphertext, keyID: keyID, context: "ca/\(name)", row: "CA key \(name)")
                try await connection.query(
                    "UPDATE ca_keys SET key_id = \(self.current.keyID), key_ciphertext = \(sealed) WHERE name = \(name)", logger: self.logger)
                outcome.caKeys += 1
            }
            return outcome
        }
    }

    private func reseal(_ ciphertext: Data, keyID: String, context: String, row: String) throws -> Data {
        guard keyID == self.previous.keyID else { throw UnknownKey(row: row, keyID: keyID) }
        return try self.current.seal(try self.previous.open(ciphertext, boundTo: context), boundTo: context)
    }
}
