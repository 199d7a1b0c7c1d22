import AsyncHTTPClient
import Foundation
import Hummingbird
import Logging
import OrcastraModels
import OrcastraRuntime
import PostgresNIO

/// The configured secret store, as the API's features use it, and the backend's health.
///
/// Backend failures answer for themselves (`SecretStoreError` is an `APIErrorConvertible`): a
/// sealed or unreachable Vault is a 503 `vault_sealed` / `vault_unreachable` for the routes
/// that need secrets, and nothing else is affected.
final class SecretsService: Sendable {
    let backend: SecretsBackend
    let store: any SecretStore
    private let vault: VaultClient?

    init(backend: SecretsBackend, postgres: PostgresClient, http: HTTPClient, logger: Logger) throws {
        self.backend = backend
        self.store = try backend.makeStore(postgres: postgres, http: http, logger: logger)
        self.vault = backend.vaultClient(http: http)
    }

    /// Backend, reachability and seal state for `GET /secrets/status`; the issuing CA's
    /// subject and expiry come from the caller (the CA lives in PKI, which builds on this).
    func status(issuer: (subject: String, notAfter: Date)?) async -> SecretsStatus {
        var status = SecretsStatus(backend: "embedded", reachable: true, sealed: false, state: "active")
        if let vault = self.vault {
            let state = await vault.health()
            status = SecretsStatus(backend: "vault", reachable: state != .unreachable, sealed: state == .sealed || state == .uninitialized, state: state.rawValue)
        }
        status.caSubject = issuer?.subject
        status.caNotAfter = issuer?.notAfter
        return status
    }
}

extension SecretStoreError: APIErrorConvertible {
    /// How each failure is answered; messages never carry a secret value.
    var apiError: APIError {
        switch self {
        case .unavailable(let code, let message): APIError(.serviceUnavailable, code: code, message: message)
        case .versionConflict: APIError(.conflict, code: "version_conflict", message: self.description)
        case .denied: APIError(.forbidden, code: "secret_access_denied", message: "The secret store's policy refused this operation.")
        case .corrupted: APIError(.internalServerError, code: "secret_corrupted", message: "A stored secret failed its integrity check; see the API log.")
        }
    }
}

/// The body of `GET /api/v1/secrets/status`.
struct SecretsStatus: Codable, Sendable, Equatable, ResponseEncodable {
    var backend: String
    var reachable: Bool
    var sealed: Bool
    /// Vault's state (active, standby, sealed, uninitialized, unreachable); `active` for embedded.
    var state: String
    @NullWhenNil var caSubject: String?
    @NullWhenNil var caNotAfter: Date?

    enum CodingKeys: String, CodingKey {
        case backend, reachable, sealed, state
        case caSubject = "ca_subject", caNotAfter = "ca_not_after"
    }
}
