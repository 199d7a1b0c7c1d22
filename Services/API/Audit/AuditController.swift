import Hummingbird
import Logging
import OrcastraModels
import OrcastraRuntime
import PostgresNIO

/// `GET /audit-log` (filtered, paged, newest first) and `GET /audit-log/verify` (integrity).
///
/// No authentication or authorization happens here: the trail names every actor and action,
/// so these routes must only be mounted under the admin-only group.
struct AuditController: Sendable {
    let repository: AuditLogRepository
    let verifier: AuditVerifier

    init(repository: AuditLogRepository, verifier: AuditVerifier) {
        self.repository = repository
        self.verifier = verifier
    }

    /// Both read from the API's PostgreSQL pool; verification needs the chain key too.
    init(client: PostgresClient, keys: AuditChainKeys) {
        self.init(repository: AuditLogRepository(client: client), verifier: AuditVerifier(client: client, keys: keys))
    }

    func addRoutes(to routes: AccessRoutes) {
        routes.get("audit-log", .entitlement(.canViewAuditLog, on: .server), use: self.list)
        routes.get("audit-log/verify", .entitlement(.canViewAuditLog, on: .server), use: self.verify)
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> AuditRecordPage {
        let filter = try AuditLogFilter(query: request.uri.queryParameters)
        return try await self.repository.list(filter, logger: context.logger)
    }

    /// Reads the whole chain; on a large trail this takes a while, which is why it is its own
    /// endpoint rather than part of listing.
    @Sendable func verify(_ request: Request, context: AppRequestContext) async throws -> AuditVerification {
        let verification = try await self.verifier.verify(logger: context.logger)
        if !verification.valid {
            context.logger.warning("audit chain verification failed", metadata: ["problems": "\(verification.problems.count)"])
        }
        return verification
    }
}

extension AuditRecordPage: ResponseEncodable {}
extension AuditVerification: ResponseEncodable {}
