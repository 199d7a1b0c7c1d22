import Synchronization

/// How the provider shapes the tokens it issues, for testing relying parties against
/// providers that are not Authentik: set at start (`DEVIDP_OPAQUE_ACCESS_TOKENS`,
/// `DEVIDP_OMIT_KID`) and switchable through `/_test/token-style`.
///
/// - `opaqueAccessTokens`: access tokens are random strings the provider remembers (answered by
///   introspection and userinfo) instead of JWTs.
/// - `omitKid`: JWTs (ID tokens, and access tokens unless opaque) carry no `kid` in their header,
///   which OpenID Connect Core §10.1 allows while the JWKS holds one key.
///
/// Authentik's own shape is both off, the default.
final class TokenStyle: Sendable {
    struct Settings: Codable, Sendable, Equatable {
        var opaqueAccessTokens: Bool
        var omitKid: Bool

        init(opaqueAccessTokens: Bool = false, omitKid: Bool = false) {
            self.opaqueAccessTokens = opaqueAccessTokens
            self.omitKid = omitKid
        }

        enum CodingKeys: String, CodingKey {
            case opaqueAccessTokens = "opaque_access_tokens"
            case omitKid = "omit_kid"
        }

        /// A switch left out is off, so a test names only what it turns on.
        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            self.opaqueAccessTokens = try c.decodeIfPresent(Bool.self, forKey: .opaqueAccessTokens) ?? false
            self.omitKid = try c.decodeIfPresent(Bool.self, forKey: .omitKid) ?? false
        }
    }

    private let state: Mutex<Settings>

    init(_ settings: Settings = Settings()) {
        self.state = Mutex(settings)
    }

    var current: Settings {
        get { self.state.withLock { $0 } }
        set { self.state.withLock { $0 = newValue } }
    }
}
