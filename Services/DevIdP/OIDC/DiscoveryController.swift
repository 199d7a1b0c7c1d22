import Hummingbird
import OrcastraRuntime

/// `GET /application/o/<slug>/.well-known/openid-configuration`.
///
/// The document names Authentik's endpoints but advertises only what this provider really
/// does: the code flow with refresh, client secrets by Basic or POST. `plain` stays in
/// `code_challenge_methods_supported` because Authentik lists it; the authorization endpoint
/// nevertheless refuses it (see `AuthorizeController`).
struct DiscoveryController {
    let endpoints: OIDCEndpoints

    func addRoutes(to router: Router<AppRequestContext>) {
        router.get(RouterPath(self.endpoints.discoveryPath), use: self.show)
    }

    @Sendable func show(_ request: Request, context: AppRequestContext) throws -> Response {
        try JSONResponse.encode(DiscoveryDocument(endpoints: self.endpoints), status: .ok)
    }
}

/// OpenID Provider Metadata (OpenID Connect Discovery 1.0 §3).
struct DiscoveryDocument: Codable, Equatable {
    var issuer: String
    var authorizationEndpoint: String
    var tokenEndpoint: String
    var userinfoEndpoint: String
    var endSessionEndpoint: String
    var introspectionEndpoint: String
    var revocationEndpoint: String
    var jwksURI: String
    var responseTypesSupported = ["code"]
    var responseModesSupported = ["query"]
    var grantTypesSupported = ["authorization_code", "refresh_token"]
    var idTokenSigningAlgValuesSupported = ["RS256"]
    var subjectTypesSupported = ["public"]
    var tokenEndpointAuthMethodsSupported = ["client_secret_post", "client_secret_basic"]
    var acrValuesSupported = [TokenClaims.defaultACR]
    var scopesSupported = ["openid", "email", "profile", "offline_access"]
    var requestParameterSupported = false
    var claimsParameterSupported = false
    var codeChallengeMethodsSupported = ["plain", "S256"]
    var claimsSupported = [
        "sub", "iss", "aud", "exp", "iat", "auth_time", "acr", "nonce", "email", "email_verified",
        "name", "given_name", "preferred_username", "nickname", "groups",
    ]

    init(endpoints: OIDCEndpoints) {
        self.issuer = endpoints.issuer
        self.authorizationEndpoint = endpoints.authorization
        self.tokenEndpoint = endpoints.token
        self.userinfoEndpoint = endpoints.userinfo
        self.endSessionEndpoint = endpoints.endSession
        self.introspectionEndpoint = endpoints.introspection
        self.revocationEndpoint = endpoints.revocation
        self.jwksURI = endpoints.jwks
    }

    enum CodingKeys: String, CodingKey {
        case issuer
        case authorizationEndpoint = "authorization_endpoint"
        case tokenEndpoint = "token_endpoint"
        case userinfoEndpoint = "userinfo_endpoint"
        case endSessionEndpoint = "end_session_endpoint"
        case introspectionEndpoint = "introspection_endpoint"
        case revocationEndpoint = "revocation_endpoint"
        case jwksURI = "jwks_uri"
        case responseTypesSupported = "response_types_supported"
        case responseModesSupported = "response_modes_supported"
        case grantTypesSupported = "grant_types_supported"
        case idTokenSigningAlgValuesSupported = "id_token_signing_alg_values_supported"
        case subjectTypesSupported = "subject_types_supported"
        case tokenEndpointAuthMethodsSupported = "token_endpoint_auth_methods_supported"
        case acrValuesSupported = "acr_values_supported"
        case scopesSupported = "scopes_supported"
        case requestParameterSupported = "request_parameter_supported"
        case claimsParameterSupported = "claims_parameter_supported"
        case codeChallengeMethodsSupported = "code_challenge_methods_supported"
        case claimsSupported = "claims_supported"
    }
}
