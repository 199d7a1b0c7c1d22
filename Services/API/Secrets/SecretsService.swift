import AsyncHTTPClient
import Foundation
import Hummingbird
import Logging
import OrcastraModels
import OrcastraRuntime
import PostgresNIO

/// The configured secret store and certificate authority, as the API's controllers use them.
///
/// The embedded CA is created on first start (`prepare`, run before the server listens) and
/// kept; Vault's is stateless. Backend failures come out as the one error shape: a sealed or
/// unreachable Vault is a 503 `vault_sealed` / `vault_unreachable` for the routes that need
/// secrets, and nothing else is affected.
final class SecretsService: Sendable {
    let backend: SecretsBackend
    let store: any SecretStore
    private let authority: CALoader
    private let vault: VaultClient?

    init(backend: SecretsBackend, postgres: PostgresClient, http: HTTPClient, logger: Logger) throws {
        self.backend = backend
        self.store = try backend.makeStore(postgres: postgres, http: http, logger: logger)
        self.vault = backend.vaultClient(http: http)
        switch backend {
        case .embedded(let key):
            let cipher = try SecretCipher(masterKey: key)
            self.authority = CALoader { try await EmbeddedCertificateAuthority.load(client: postgres, cipher: cipher, logger: logger) }
        case .vault(_, _, let role):
            let vault = backend.vaultClient(http: http)!
            let ca = VaultCertificateAuthority(vault: vault, store: VaultSecretStore(vault: vault), role: role)
            self.authority = CALoader { ca }
        }
    }

    /// Creates the embedded CA if this is the first start (a no-op wait for Vault's).
    func prepare() async throws {
        if case .embedded = self.backend { _ = try await self.authority.get() }
    }

    func ca() async throws -> any CertificateAuthority {
        try await Self.mapped { try await self.authority.get() }
    }

    /// Backend, reachability, seal state and the issuing CA, for `GET /secrets/status`.
    func status() async -> SecretsStatus {
        var status = SecretsStatus(backend: "embedded", reachable: true, sealed: false, state: "active")
        if let vault = self.vault {
            let state = await vault.health()
            status = SecretsStatus(backend: "vault", reachable: state != .unreachable, sealed: state == .sealed || state == .uninitialized, state: state.rawValue)
        }
        if let info = try? await self.authority.get().info() {
            status.caSubject = info.subject
            status.caNotAfter = info.notAfter
        }
        return status
    }

    /// Runs a store or CA call, turning its failures into API errors.
    static func mapped<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as SecretStoreError {
            throw error.apiError
        }
    }
}

extension SecretStoreError {
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

/// Loads the certificate authority once; concurrent first callers share the one load.
actor CALoader {
    private let load: @Sendable () async throws -> any CertificateAuthority
    private var loaded: (any CertificateAuthority)?
    private var loading: Task<any CertificateAuthority, any Error>?

    init(_ load: @escaping @Sendable () async throws -> any CertificateAuthority) {
        self.load = load
    }

    func get() async throws -> any CertificateAuthority {
        if let loaded = self.loaded { return loaded }
        if let loading = self.loading { return try await loading.value }
        let task = Task { try await self.load() }
        self.loading = task
        defer { self.loading = nil }
        let ca = try await task.value
        self.loaded = ca
        return ca
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
