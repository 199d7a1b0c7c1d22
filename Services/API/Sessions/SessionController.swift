import Foundation
import HTTPTypes
import Hummingbird
import OrcastraModels
import OrcastraRuntime

/// `/api/v1/sessions`: the gateway registers a sign-in, reports refreshes and sign-outs; people
/// list their sessions (an admin sees everyone's) and revoke them.
struct SessionController {
    let store: SessionStore
    /// `AUTH_PROXY_SECRET`: only the gateway, which sees the browser, may say where a sign-in
    /// came from; anyone else's sessions record what the API itself sees.
    let proxySecret: String?
    let clientIP: ClientIPPolicy
    let authorizer: Authorizer

    func addRoutes(to routes: AccessRoutes) {
        routes.post("sessions", .signedIn, use: self.start)
        routes.get("sessions", .signedIn, use: self.list)
        routes.delete("sessions/:id", .signedIn, use: self.revoke)
        routes.post("sessions/:id/refresh", .signedIn, use: self.refreshed)
        routes.post("sessions/:id/logout", .signedIn, use: self.logout)
    }

    /// Only with the identity provider's token: a session is a browser sign-in, never an API key.
    @Sendable func start(_ request: Request, context: AppRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        guard identity.authMethod != .apiKey else {
            throw APIError(.forbidden, code: "forbidden", message: "sessions are started by signing in, not with an API key")
        }
        let reported = try await request.decode(as: SessionStart.self, context: context)
        let fromGateway = ProxySecret.vouches(for: request, secret: self.proxySecret)
        let seen = self.clientIP.resolve(request, context: context)
        let start = fromGateway ? reported : SessionStart(ip: seen.ip, userAgent: request.headers[.userAgent])
        let session = try await self.store.start(for: identity, start, requestID: context.state.requestID)
        var response = try JSONResponse.encode(session, status: .created)
        response.headers[.location] = "/api/v1/sessions/\(session.id.uuidString.lowercased())"
        return response
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> ListPage<SessionInfo> {
        let identity = try context.requireIdentity()
        let page = try PageRequest(query: request.uri.queryParameters)
        let sessions = try await self.store.list(in: self.authorizer.ownScope(identity), current: identity.sessionID)
        return page.page(sessions) { PageRequest.newestFirst($0.createdAt, $0.id.uuidString) }
    }

    @Sendable func revoke(_ request: Request, context: AppRequestContext) async throws -> HTTPResponse.Status {
        try await self.end(.revoked, request: request, context: context)
    }

    @Sendable func logout(_ request: Request, context: AppRequestContext) async throws -> HTTPResponse.Status {
        try await self.end(.logout, request: request, context: context)
    }

    /// The gateway refreshed this session's tokens; only the session's own calls may say so.
    @Sendable func refreshed(_ request: Request, context: AppRequestContext) async throws -> HTTPResponse.Status {
        let identity = try context.requireIdentity()
        let id = try context.parameters.uuid("id")
        guard identity.sessionID == id else {
            throw APIError(.forbidden, code: "forbidden", message: "a refresh is reported through the session it belongs to")
        }
        try await self.store.refreshed(id, actor: identity, requestID: context.state.requestID)
        return .noContent
    }

    func end(_ reason: SessionStore.Ending, request: Request, context: AppRequestContext) async throws -> HTTPResponse.Status {
        let identity = try context.requireIdentity()
        let id = try context.parameters.uuid("id")
        // A logout ends the caller's own session; a revocation any session in the caller's scope.
        let scope: Authorizer.ListScope = reason == .logout ? .owner(identity.id) : self.authorizer.ownScope(identity)
        guard try await self.store.end(id, reason: reason, actor: identity, in: scope, requestID: context.state.requestID) else {
            throw APIError(.notFound, code: "not_found", message: "no open session \(id.uuidString.lowercased()) of yours")
        }
        return .noContent
    }
}
