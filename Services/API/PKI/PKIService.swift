import Foundation
import AsyncHTTPClient
import Logging
import OrcastraRuntime
import PostgresNIO

/// The configured certificate authority, as controllers and cluster registration use it:
/// Vault's `pki_int` when the secrets backend is Vault, the embedded CA otherwise.
///
/// The embedded CA is created on first start (`prepare`, run before the server listens) and
/// kept; Vault's is stateless. Its failures answer for themselves (`SecretStoreError`,
/// `CertificateAuthorityError`), so callers use it without wrapping.
final class PKIService: Sendable {
    private let backend: SecretsBackend
    private let authority: CALoader

    init(backend: SecretsBackend, postgres: PostgresClient, http: HTTPClient, logger: Logger) throws {
        self.backend = backend
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

    /// Creates the embedded CA if this is the first start (nothing to do for Vault's).
    func prepare() async throws {
        if case .embedded = self.backend { _ = try await self.authority.get() }
    }

    func ca() async throws -> any CertificateAuthority {
        try await self.authority.get()
    }

    /// The issuing CA's subject and expiry for the secrets status page; nil while it cannot be
    /// read (a sealed Vault), which that page reports on its own.
    func issuer() async -> (subject: String, notAfter: Date)? {
        guard let info = try? await self.authority.get().info() else { return nil }
        return (info.subject, info.notAfter)
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
