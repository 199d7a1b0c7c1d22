import Foundation
import HTTPTypes
import Hummingbird
import Logging
import OrcastraModels
import OrcastraRuntime

/// The one place the API decides who is calling: a bearer access token from the identity
/// provider (a JWT, or an opaque token the provider vouches for: `BearerVerifier`), or an
/// `orc_…` API key (as `Authorization: Bearer` or `X-API-Key`).
///
/// Every failure is a 401 with the same message, so a caller learns nothing about why; the why
/// goes to the debug log. A token that names a gateway session (`X-Orcastra-Session`) is refused
/// once that session has ended.
struct Authenticator: RouterMiddleware {
    typealias Context = AppRequestContext

    /// The header the gateway uses to name the session a proxied call belongs to.
    static let sessionHeader = HTTPField.Name("X-Orcastra-Session")!
    static let apiKeyHeader = HTTPField.Name("X-API-Key")!

    let verifier: BearerVerifier?
    let users: UserDirectory
    let apiKeys: APIKeyStore
    let sessions: SessionStore
    let logger: Logger

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        let identity = try await self.identify(request, context: context)
        context.identity = identity
        context.state.user = AccessLogUser(
            id: identity.id.uuidString, type: identity.authMethod == .apiKey ? "api_key" : "user",
            role: identity.role.rawValue, groups: identity.groups)
        return try await next(request, context)
    }

    func identify(_ request: Request, context: Context) async throws -> Identity {
        guard let verifier = self.verifier else { return try await self.developmentIdentity(context: context) }
        guard let credential = try Self.credential(in: request) else {
            throw Self.unauthorized("sign in: send Authorization: Bearer <token> or X-API-Key")
        }
        if APIKeySecret.looksLikeKey(credential) {
            return try await self.identify(apiKey: credential, method: request.method, context: context)
        }
        let claims: TokenClaims
        do {
            claims = try await verifier.verify(credential)
        } catch {
            self.logger.debug("bearer token refused", metadata: ["reason": "\(error)", "request_id": "\(context.state.requestID)"])
            throw Self.unauthorized()
        }
        let groups = claims.groups ?? []
        let role = Role.resolve(groups: groups)
        let user = try await self.users.sawToken(
            subject: claims.subject ?? "", name: claims.name ?? claims.preferredUsername, email: claims.email,
            role: role, groups: groups, requestID: context.state.requestID)
        guard !user.disabled else {
            self.logger.debug("the token's user is disabled", metadata: ["request_id": "\(context.state.requestID)"])
            throw Self.unauthorized()
        }
        var identity = Identity(id: user.id, subject: user.subject, name: user.name, email: user.email,
                                role: role, groups: groups, authMethod: .token)
        if let named = request.headers[Self.sessionHeader] {
            guard let session = UUID(uuidString: named), try await self.sessions.isOpen(session, userID: user.id) else {
                self.logger.debug("session ended or not this user's", metadata: ["request_id": "\(context.state.requestID)"])
                throw APIError(.unauthorized, code: "session_ended", message: "this session has ended; sign in again",
                               headers: [.wwwAuthenticate: "Bearer"])
            }
            identity.sessionID = session
        }
        return identity
    }

    /// An API key acts for its owner with the lower of its own role and the owner's role now
    /// (what `users` holds from their latest token), so a demotion reaches old keys on their next
    /// use; a read-only key may only read.
    func identify(apiKey: String, method: HTTPRequest.Method, context: Context) async throws -> Identity {
        do {
            let grant = try await self.apiKeys.authenticate(apiKey)
            guard let owner = try await self.users.user(id: grant.ownerID) else { throw APIKeyStore.Refusal.unknown }
            try Self.permit(method, scope: grant.scope)
            return Identity(id: owner.id, subject: owner.subject, name: owner.name, email: owner.email,
                            role: min(grant.role, owner.role), groups: owner.groups, authMethod: .apiKey, apiKeyID: grant.keyID)
        } catch let refusal as APIKeyStore.Refusal {
            self.logger.debug("API key refused", metadata: ["reason": "\(refusal)", "request_id": "\(context.state.requestID)"])
            throw Self.unauthorized()
        }
    }

    /// A read-only key reads (`GET`, `HEAD`) and nothing else, whatever its role.
    static func permit(_ method: HTTPRequest.Method, scope: APIKeyScope) throws(APIError) {
        guard scope == .readOnly, method != .get, method != .head else { return }
        throw APIError(.forbidden, code: "read_only_key", message: "this API key is read-only: it may only GET and HEAD, not \(method.rawValue)")
    }

    /// `AUTH_ENABLED=false` (development only): everyone is one admin.
    func developmentIdentity(context: Context) async throws -> Identity {
        let user = try await self.users.sawToken(
            subject: "development", name: "Development admin", email: nil, role: .admin, groups: ["role_admin"],
            requestID: context.state.requestID)
        return Identity(id: user.id, subject: user.subject, name: user.name, email: user.email, role: .admin,
                        groups: user.groups, authMethod: .development)
    }

    /// The presented credential: `Authorization: Bearer x` or `X-API-Key: x`; any other
    /// `Authorization` scheme is refused rather than ignored.
    static func credential(in request: Request) throws -> String? {
        if let header = request.headers[.authorization] {
            guard let token = Self.bearerToken(in: header) else { throw Self.unauthorized("use Authorization: Bearer <token>") }
            return String(token)
        }
        return request.headers[Self.apiKeyHeader].map { String(Self.trimmed($0[...])) }
    }

    /// The token of `Bearer <token>` (the scheme in any case, blanks around the token dropped),
    /// nil for any other shape. It runs on every request, so it reads UTF-8 bytes rather than
    /// going through Foundation's character-set trimming and a split into new strings.
    static func bearerToken(in header: String) -> Substring? {
        let utf8 = header.utf8
        var i = utf8.startIndex
        while i < utf8.endIndex, Self.isBlank(utf8[i]) { i = utf8.index(after: i) }
        let scheme = i
        while i < utf8.endIndex, !Self.isBlank(utf8[i]) { i = utf8.index(after: i) }
        guard utf8[scheme..<i].elementsEqual("bearer".utf8, by: { $0 | 0x20 == $1 }) else { return nil }
        let token = Self.trimmed(header[i...])
        return token.isEmpty ? nil : token
    }

    /// `text` without spaces and tabs at either end.
    static func trimmed(_ text: Substring) -> Substring {
        let utf8 = text.utf8
        var start = utf8.startIndex, end = utf8.endIndex
        while start < end, Self.isBlank(utf8[start]) { start = utf8.index(after: start) }
        while end > start, Self.isBlank(utf8[utf8.index(before: end)]) { end = utf8.index(before: end) }
        return text[start..<end]
    }

    static func isBlank(_ byte: UInt8) -> Bool { byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }

    static func unauthorized(_ message: String = "the credentials are missing, invalid or expired") -> APIError {
        APIError(.unauthorized, code: "unauthorized", message: message, headers: [.wwwAuthenticate: "Bearer"])
    }
}

extension AppRequestContext {
    /// The caller, which the authenticator has set for every route behind it.
    func requireIdentity() throws -> Identity {
        guard let identity = self.identity else { throw Authenticator.unauthorized() }
        return identity
    }
}
