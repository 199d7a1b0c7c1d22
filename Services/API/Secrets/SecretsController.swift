import Foundation
import Hummingbird
import OrcastraRuntime

/// `GET /api/v1/secrets/status` (admins): which backend keeps secrets, whether it can be used
/// now, and the issuing CA. Answers 200 even when Vault is sealed: saying so is its job.
struct SecretsController {
    let secrets: SecretsService
    /// The issuing CA's subject and expiry, from PKI (which builds on secrets, not the reverse).
    let issuer: @Sendable () async -> (subject: String, notAfter: Date)?

    func addRoutes(to routes: AccessRoutes) {
        routes.get("secrets/status", .entitlement(.canViewSecrets, on: .server), use: self.status)
    }

    @Sendable func status(_ request: Request, context: AppRequestContext) async throws -> SecretsStatus {
        await self.secrets.status(issuer: await self.issuer())
    }
}
