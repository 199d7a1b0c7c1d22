import Foundation
import HTTPTypes
import Hummingbird
import Logging
import OrcastraModels
import OrcastraRuntime
import PostgresNIO

/// `POST /api/v1/auth/login-failures`: the gateway reports a sign-in that failed before any
/// token existed (provider error, state mismatch, failed code exchange), so that the audit trail
/// has it. Authenticated with `AUTH_PROXY_SECRET` in `X-Orcastra-Proxy-Secret`, since there is
/// no user yet; without that secret configured the route refuses everything.
struct LoginFailureController {
    let secret: String?
    let client: PostgresClient
    let audit: AuditTrail
    let logger: Logger

    func addRoutes(to routes: AccessRoutes) {
        routes.post("auth/login-failures", .open, use: self.report)
    }

    @Sendable func report(_ request: Request, context: AppRequestContext) async throws -> HTTPResponse.Status {
        guard ProxySecret.vouches(for: request, secret: self.secret) else {
            throw APIError(.unauthorized, code: "unauthorized", message: "only the gateway reports sign-in failures")
        }
        let body = try await request.decode(as: LoginFailureReport.self, context: context)
        let event = AuditEvent(
            action: "auth.login_failure", category: "authentication", severity: .warning, actor: .anonymous,
            target: .init(type: "session", id: nil), result: .failure, errorCode: "login_failed",
            errorMessage: String(body.reason.prefix(300)),
            details: ["ip": String((body.ip ?? "").prefix(64)), "user_agent": String((body.userAgent ?? "").prefix(512))],
            requestID: context.state.requestID)
        try await self.audit.record(event, client: self.client, logger: self.logger)
        return .noContent
    }
}
