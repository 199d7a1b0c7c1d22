import Configuration
import Foundation
import Logging
import OrcastraRuntime
import PostgresNIO

/// `orcastra-api rotate-secret-key`: re-seals the embedded store from `SECRET_KEY_PREVIOUS` to
/// `SECRET_KEY`. Run it with the API stopped (a running API still holds the old key).
enum RotateSecretKeyCommand {
    static let name = "rotate-secret-key"

    static func run(reader: ConfigReader) async throws {
        let settings = Settings(reader: reader)
        let database: DatabaseURL
        var owner: DatabaseURL?
        let currentKey: String
        let previousKey: String
        do {
            database = try DatabaseURL(parsing: try settings.required(DatabaseURL.variable, secret: true))
            if let raw = settings.string(DatabaseURL.ownerVariable, secret: true) {
                owner = try DatabaseURL(parsing: raw, variable: DatabaseURL.ownerVariable)
            }
            guard case .embedded(let key) = try SecretsBackend(settings: settings) else {
                throw ConfigError("VAULT_ENABLED", "is true; Vault keeps its own keys, there is nothing to rotate here")
            }
            currentKey = key
            previousKey = try SecretsBackend.masterKey("SECRET_KEY_PREVIOUS", settings: settings)
        } catch let error as ConfigError {
            Startup.fail(error)
        }
        // Both keys are long enough by now, the only thing SecretCipher checks.
        let current = try SecretCipher(masterKey: currentKey)
        let previous = try SecretCipher(masterKey: previousKey)
        let logger = Logger(label: "rotate-secret-key")
        let client = PostgresClient(configuration: database.clientConfiguration())
        let outcome: SecretKeyRotation.Outcome
        do {
            outcome = try await self.rotate(client: client, roles: DatabaseRoles(app: database, owner: owner), previous: previous, current: current, logger: logger)
        } catch {
            FileHandle.standardError.write(Data("rotate-secret-key failed, nothing was changed: \(error)\n".utf8))
            LogSink.standardOutput.flush()
            exit(1)
        }
        print("re-sealed \(outcome.secretVersions) secret versions and \(outcome.caKeys) CA keys with the new SECRET_KEY (key id \(current.keyID))")
    }

    /// Runs the rotation with a running pool, for at most `timeout`.
    private static func rotate(client: PostgresClient, roles: DatabaseRoles, previous: SecretCipher, current: SecretCipher, logger: Logger,
                               timeout: Duration = .seconds(30)) async throws -> SecretKeyRotation.Outcome {
        try await client.whileRunning(timeout: timeout) {
            // The tables may not exist yet on a database the API never started on.
            try await roles.prepare(migrations: try Migrations.bundled, appClient: client, logger: logger, retryFor: .zero)
            return try await SecretKeyRotation(client: client, previous: previous, current: current, logger: logger).run()
        }
    }
}
