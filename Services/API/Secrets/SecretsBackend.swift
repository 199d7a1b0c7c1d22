import AsyncHTTPClient
import Logging
import OrcastraRuntime
import PostgresNIO

/// Which backend keeps secrets and issues certificates: the embedded one (default), or
/// Vault when `VAULT_ENABLED=true`.
enum SecretsBackend: Sendable {
    /// AES-GCM rows in PostgreSQL, sealed with a key derived from `SECRET_KEY`.
    case embedded(masterKey: String)
    /// Vault's KV v2 at `secret/` and PKI at `pki_int/` with the role `VAULT_PKI_ROLE`.
    case vault(address: String, token: String, pkiRole: String)

    init(settings s: Settings) throws(ConfigError) {
        if try s.bool("VAULT_ENABLED", default: false) {
            self = .vault(
                address: try s.httpURL("VAULT_ADDR", default: "http://127.0.0.1:8200"),
                token: try s.required("VAULT_TOKEN", secret: true),
                pkiRole: s.string("VAULT_PKI_ROLE") ?? "lxd"
            )
        } else {
            self = .embedded(masterKey: try Self.masterKey("SECRET_KEY", settings: s, hint: " (`make env` writes a random one)"))
        }
    }

    /// A master key variable: set, and long enough for `SecretCipher`.
    static func masterKey(_ name: String, settings: Settings, hint: String = "") throws(ConfigError) -> String {
        let key = try settings.required(name, secret: true)
        guard key.utf8.count >= 32 else { throw ConfigError(name, "must be at least 32 characters" + hint) }
        return key
    }

    /// The secret store for this backend.
    func makeStore(postgres: PostgresClient, http: HTTPClient, logger: Logger) throws -> any SecretStore {
        switch self {
        case .embedded(let key): EmbeddedSecretStore(client: postgres, cipher: try SecretCipher(masterKey: key), logger: logger)
        case .vault: VaultSecretStore(vault: self.vaultClient(http: http)!)
        }
    }

    /// Vault's health check; nil for the embedded store, which lives in PostgreSQL and is
    /// covered by that check.
    func healthCheck(http: HTTPClient) -> HealthCheck? {
        self.vaultClient(http: http).map(HealthCheck.vault)
    }

    func vaultClient(http: HTTPClient) -> VaultClient? {
        guard case .vault(let address, let token, _) = self else { return nil }
        return VaultClient(http: http, address: address, token: token, timeout: .seconds(5))
    }
}

extension HealthCheck {
    /// Vault's `sys/health`. Not critical: a sealed or absent Vault degrades the features that
    /// need secrets, and the API stays up.
    static func vault(_ client: VaultClient) -> HealthCheck {
        HealthCheck(name: "vault", critical: false) {
            let state = await client.health()
            guard state == .active else { throw VaultUnavailable(state: state) }
        }
    }
}

/// Vault answered, but not as an active, unsealed node.
struct VaultUnavailable: Error, CustomStringConvertible {
    var state: VaultState
    var description: String { "vault is \(self.state.rawValue)" }
}
