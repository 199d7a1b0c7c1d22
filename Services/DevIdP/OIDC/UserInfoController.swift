import HTTPTypes
import Hummingbird
import OrcastraModels
import OrcastraRuntime

/// `GET|POST /application/o/userinfo/` with `Authorization: Bearer <access token>` (a JWT, or
/// an opaque one when `TokenStyle` issues those).
struct UserInfoController {
    let verifier: TokenVerifier
    let counters: EndpointCounters

    func addRoutes(to router: Router<AppRequestContext>) {
        router.get(RouterPath(OIDCEndpoints.userinfoPath), use: self.show)
        router.post(RouterPath(OIDCEndpoints.userinfoPath), use: self.show)
    }

    @Sendable func show(_ request: Request, context: AppRequestContext) async throws -> Response {
        self.counters.countUserinfo()
        guard let header = request.headers[.authorization], header.lowercased().hasPrefix("bearer "),
              let claims = await self.verifier.verifyAccessToken(String(header.dropFirst("bearer ".count)).trimmingCharacters(in: .whitespaces))
        else {
            // RFC 6750 §3.1.
            return try OAuthError(
                status: .unauthorized, error: "invalid_token",
                errorDescription: "A valid access token of this provider is required.",
                headers: [.wwwAuthenticate: "Bearer error=\"invalid_token\""]
            ).response(context: context)
        }
        context.state.user = AccessLogUser(id: claims.sub, type: "user", groups: claims.groups ?? [])
        return try JSONResponse.encode(UserInfo(claims), status: .ok, headers: JSONResponse.noStore)
    }
}

/// The userinfo answer: `sub` and the scope claims the access token was issued with, as
/// Authentik's scope mappings produce them.
struct UserInfo: Codable, Equatable {
    var sub: String
    var email: String?
    var emailVerified: Bool?
    var name: String?
    var givenName: String?
    var preferredUsername: String?
    var nickname: String?
    var groups: [String]?

    init(_ claims: TokenClaims) {
        self.sub = claims.sub
        self.email = claims.email
        self.emailVerified = claims.emailVerified
        self.name = claims.name
        self.givenName = claims.givenName
        self.preferredUsername = claims.preferredUsername
        self.nickname = claims.nickname
        self.groups = claims.groups
    }

    enum CodingKeys: String, CodingKey {
        case sub, email, name, nickname, groups
        case emailVerified = "email_verified"
        case givenName = "given_name"
        case preferredUsername = "preferred_username"
    }
}
