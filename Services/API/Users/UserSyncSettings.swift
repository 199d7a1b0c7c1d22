import OrcastraRuntime

/// The directory sync (README.md, Users): with `AUTHENTIK_API_URL` and `AUTHENTIK_API_TOKEN`,
/// the API reads the provider's users and groups every `AUTHENTIK_SYNC_INTERVAL_SECONDS`.
struct UserSyncSettings: Sendable {
    /// The provider's base URL (`https://auth.example.com`); the `/api/v3/…` paths go after it.
    var apiURL: String
    /// An Authentik API token allowed to read users and groups. Never logged.
    var token: String
    var interval: Duration

    /// nil without `AUTHENTIK_API_URL` (no sync; a token alone may serve other uses); a URL
    /// without a token is a mistake.
    static func read(_ s: Settings) throws(ConfigError) -> UserSyncSettings? {
        guard s.string("AUTHENTIK_API_URL") != nil else { return nil }
        guard let token = s.string("AUTHENTIK_API_TOKEN", secret: true) else {
            throw ConfigError("AUTHENTIK_API_TOKEN", "is needed with AUTHENTIK_API_URL (an API token that may read users and groups)")
        }
        var base = try s.httpURL("AUTHENTIK_API_URL", default: "")
        // Taken with or without the API's own prefix.
        if base.hasSuffix("/api/v3") { base.removeLast("/api/v3".count) }
        let seconds = try s.int("AUTHENTIK_SYNC_INTERVAL_SECONDS", default: 300, range: 1...86400)
        return UserSyncSettings(apiURL: base, token: token, interval: .seconds(seconds))
    }
}
