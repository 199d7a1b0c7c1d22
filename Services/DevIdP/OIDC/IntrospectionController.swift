import Foundation
import Hummingbird
import OrcastraRuntime

/// `POST /application/o/introspect/` (RFC 7662): `{"active": false}` for anything that is not
/// a live token of the calling client, otherwise `active` with the token's claims; opaque
/// access tokens (`TokenStyle`) are answered with the claims a JWT would have carried, as
/// Authentik answers with its stored token's claims.
struct IntrospectionController {
    let clients: ClientAuthenticator
    let grants: GrantStore
    let verifier: TokenVerifier
    let directory: UserDirectory
    let clock: DevIdPClock
    let counters: EndpointCounters

    func addRoutes(to router: Router<AppRequestContext>) {
        router.post(RouterPath(OIDCEndpoints.introspectPath), use: self.introspect)
    }

    @Sendable func introspect(_ request: Request, context: AppRequestContext) async throws -> Response {
        self.counters.countIntrospection()
        let form = try await FormFields.body(of: request)
        do {
            let client = try self.clients.authenticate(headers: request.headers, form: form)
            guard let token = form["token"] else { throw OAuthError.invalidRequest("token is required.") }
            return try Self.json(try await self.describe(token, client: client))
        } catch let error as OAuthError {
            return try error.response(context: context)
        }
    }

    private func describe(_ token: String, client: OIDCClient) async throws -> [String: Any] {
        if let grant = self.grants.refreshGrant(token, now: self.clock.now()), grant.clientID == client.clientID,
           let user = self.directory.user(named: grant.username) {
            return [
                "active": true, "client_id": grant.clientID, "scope": grant.scopes.joined(separator: " "), "sub": user.uid,
                "exp": Int(grant.expiresAt.timeIntervalSince1970), "token_type": "refresh_token",
            ]
        }
        if let claims = await self.verifier.verifyAccessToken(token) {
            let encoded = try JSONSerialization.jsonObject(with: JSONEncoder().encode(claims))
            var body = encoded as? [String: Any] ?? [:]
            body["active"] = true
            body["client_id"] = client.clientID
            body["token_type"] = "access_token"
            return body
        }
        return ["active": false]
    }

    /// Claims plus `active` in one flat object; the claim set varies, so it goes through a
    /// dictionary rather than a fixed `Encodable`.
    private static func json(_ body: [String: Any]) throws -> Response {
        let data = try JSONSerialization.data(withJSONObject: body, options: [.sortedKeys, .withoutEscapingSlashes])
        var headers = JSONResponse.noStore
        headers[.contentType] = "application/json"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: .init(bytes: data)))
    }
}
