import OrcastraRuntime
import OrcastraTestSupport
import Testing

@testable import OrcastraAPI

@Suite("API configuration")
struct APIConfigTests {
    static let base = [
        "DATABASE_URL": "postgresql://u:p@h/d",
        "AUTHENTIK_ISSUER": "http://idp:9000/application/o/orcastra/", "AUTHENTIK_CLIENT_ID": "orcastra",
    ]
    static let withKey = Self.base.merging(["SECRET_KEY": String(repeating: "a", count: 32)]) { $1 }

    @Test("the embedded secrets backend is the default and needs SECRET_KEY")
    func embedded() throws {
        let key = String(repeating: "a", count: 32)
        let config = try APIConfig(settings: .testing(Self.base.merging(["SECRET_KEY": key]) { $1 }))
        guard case .embedded(let masterKey) = config.secrets else { Issue.record("expected embedded"); return }
        #expect(masterKey == key)
    }

    @Test("VAULT_ENABLED selects Vault, with VAULT_ADDR, VAULT_TOKEN and VAULT_PKI_ROLE")
    func vault() throws {
        let config = try APIConfig(settings: .testing(Self.base.merging([
            "VAULT_ENABLED": "true", "VAULT_ADDR": "http://vault:8200/", "VAULT_TOKEN": "hvs.x",
        ]) { $1 }))
        guard case .vault(let address, let token, let role) = config.secrets else { Issue.record("expected vault"); return }
        #expect(address == "http://vault:8200")
        #expect(token == "hvs.x")
        #expect(role == "lxd")
    }

    @Test("every missing or malformed secrets setting names its variable", arguments: [
        ([:], ConfigError("SECRET_KEY", "is required but not set")),
        (["SECRET_KEY": "short"], ConfigError("SECRET_KEY", "must be at least 32 characters (`make env` writes a random one)")),
        (["VAULT_ENABLED": "true"], ConfigError("VAULT_TOKEN", "is required but not set")),
        (["VAULT_ENABLED": "true", "VAULT_TOKEN": "t", "VAULT_ADDR": "vault:8200"], ConfigError("VAULT_ADDR", "must be an http:// or https:// URL")),
        (["VAULT_ENABLED": "sometimes"], ConfigError("VAULT_ENABLED", "must be true or false")),
    ])
    func errors(values: [String: String], expected: ConfigError) {
        #expect(throws: expected) { try APIConfig(settings: .testing(Self.base.merging(values) { $1 })) }
    }

    @Test("authentication defaults: issuer and client id from the environment, RS256/ES256, 60 s leeway")
    func authDefaults() throws {
        let auth = try APIConfig(settings: .testing(Self.withKey)).auth
        #expect(auth.token?.issuer == "http://idp:9000/application/o/orcastra/")
        #expect(auth.token?.audience == "orcastra")
        #expect(auth.token?.algorithms == ["RS256", "ES256"])
        #expect(auth.token?.leeway == .seconds(60))
        #expect(auth.jwks.refetchCooldown == .seconds(60))
    }

    @Test("opaque tokens: off without a secret or the userinfo opt-in; the client id defaults to AUTHENTIK_CLIENT_ID; the cache holds 10,000 tokens")
    func opaqueTokenSettings() throws {
        let defaults = try APIConfig(settings: .testing(Self.withKey)).auth
        #expect(defaults.opaque == nil)
        #expect(defaults.tokenCacheEntries == 10_000)
        let introspection = try APIConfig(settings: .testing(Self.withKey.merging(["OIDC_INTROSPECTION_CLIENT_SECRET": "s3cret"]) { $1 })).auth
        #expect(introspection.opaque == OpaqueTokenSettings(clientID: "orcastra", clientSecret: "s3cret"))
        let userinfo = try APIConfig(settings: .testing(Self.withKey.merging([
            "OPAQUE_TOKEN_USERINFO": "true", "OPAQUE_TOKEN_CACHE_SECONDS": "15", "OIDC_INTROSPECTION_CLIENT_ID": "resource-server",
            "TOKEN_CACHE_MAX_ENTRIES": "0",
        ]) { $1 })).auth
        #expect(userinfo.opaque == OpaqueTokenSettings(clientID: "resource-server", userinfo: true, userinfoCacheTTL: .seconds(15)))
        #expect(userinfo.tokenCacheEntries == 0)
        #expect(throws: ConfigError("OPAQUE_TOKEN_CACHE_SECONDS", "must be between 0 and 3600")) {
            try APIConfig(settings: .testing(Self.withKey.merging(["OPAQUE_TOKEN_USERINFO": "true", "OPAQUE_TOKEN_CACHE_SECONDS": "86400"]) { $1 }))
        }
        #expect(throws: ConfigError("OPAQUE_TOKEN_USERINFO", "must be true or false")) {
            try APIConfig(settings: .testing(Self.withKey.merging(["OPAQUE_TOKEN_USERINFO": "maybe"]) { $1 }))
        }
    }

    @Test("API key lifetimes: 90 and 365 days by default; the default may not exceed the maximum")
    func apiKeyLifetimes() throws {
        let defaults = try APIConfig(settings: .testing(Self.withKey)).apiKeys
        #expect((defaults.defaultDays, defaults.maxDays) == (90, 365))
        let set = try APIConfig(settings: .testing(Self.withKey.merging(["API_KEY_DEFAULT_DAYS": "7", "API_KEY_MAX_DAYS": "30"]) { $1 })).apiKeys
        #expect((set.defaultDays, set.maxDays) == (7, 30))
        #expect(throws: ConfigError("API_KEY_DEFAULT_DAYS", "is 90, longer than API_KEY_MAX_DAYS (30)")) {
            try APIConfig(settings: .testing(Self.withKey.merging(["API_KEY_MAX_DAYS": "30"]) { $1 }))
        }
    }

    @Test("the aggregated instance list: 16 clusters asked at once and failures remembered 30 s by default; both set, 0 turns the memory off")
    func instanceListFanOut() throws {
        let defaults = try APIConfig(settings: .testing(Self.withKey)).clusters
        #expect(defaults.listConcurrency == 16)
        #expect(defaults.listFailureMemory == .seconds(30))
        let set = try APIConfig(settings: .testing(Self.withKey.merging(["LXD_LIST_CONCURRENCY": "4", "LXD_LIST_FAILURE_MEMORY_SECONDS": "0"]) { $1 })).clusters
        #expect(set.listConcurrency == 4)
        #expect(set.listFailureMemory == .zero)
        #expect(throws: ConfigError("LXD_LIST_CONCURRENCY", "must be between 1 and 1024")) {
            try APIConfig(settings: .testing(Self.withKey.merging(["LXD_LIST_CONCURRENCY": "0"]) { $1 }))
        }
    }

    @Test("the usage scan runs every 300 s unless USAGE_RESCAN_SECONDS says otherwise; 0 turns it off")
    func usageRescan() throws {
        #expect(try APIConfig(settings: .testing(Self.withKey)).usage.rescanInterval == .seconds(300))
        #expect(try APIConfig(settings: .testing(Self.withKey.merging(["USAGE_RESCAN_SECONDS": "60"]) { $1 })).usage.rescanInterval == .seconds(60))
        #expect(try APIConfig(settings: .testing(Self.withKey.merging(["USAGE_RESCAN_SECONDS": "0"]) { $1 })).usage.rescanInterval == nil)
        #expect(throws: ConfigError.self) { try APIConfig(settings: .testing(Self.withKey.merging(["USAGE_RESCAN_SECONDS": "-5"]) { $1 })) }
    }

    @Test("the directory sync: off without AUTHENTIK_API_URL, every 300 s with it and AUTHENTIK_API_TOKEN, refused without the token; /api/v3 may be part of the URL")
    func userSync() throws {
        #expect(try APIConfig(settings: .testing(Self.withKey)).userSync == nil)
        let set = try #require(try APIConfig(settings: .testing(Self.withKey.merging(["AUTHENTIK_API_URL": "https://auth.example.com/api/v3/", "AUTHENTIK_API_TOKEN": "t"]) { $1 })).userSync)
        #expect(set.apiURL == "https://auth.example.com" && set.token == "t" && set.interval == .seconds(300))
        let often = try APIConfig(settings: .testing(Self.withKey.merging(["AUTHENTIK_API_URL": "http://idp:9000", "AUTHENTIK_API_TOKEN": "t", "AUTHENTIK_SYNC_INTERVAL_SECONDS": "5"]) { $1 }))
        #expect(often.userSync?.interval == .seconds(5) && often.userSync?.apiURL == "http://idp:9000")
        #expect(throws: ConfigError.self) { try APIConfig(settings: .testing(Self.withKey.merging(["AUTHENTIK_API_URL": "http://idp:9000"]) { $1 })) }
        #expect(try APIConfig(settings: .testing(Self.withKey.merging(["AUTHENTIK_API_TOKEN": "t"]) { $1 })).userSync == nil)
        #expect(throws: ConfigError.self) { try APIConfig(settings: .testing(Self.withKey.merging(["AUTHENTIK_API_URL": "ftp://idp", "AUTHENTIK_API_TOKEN": "t"]) { $1 })) }
    }

    @Test("AUTH_ENABLED=false is refused unless ALLOW_INSECURE_NO_AUTH=true is set too")
    func authDisabled() throws {
        #expect(throws: ConfigError("AUTH_ENABLED", "is false, which leaves the API open; set ALLOW_INSECURE_NO_AUTH=true as well if this is a development machine")) {
            try APIConfig(settings: .testing(Self.withKey.merging(["AUTH_ENABLED": "false"]) { $1 }))
        }
        let open = try APIConfig(settings: .testing(Self.withKey.merging(["AUTH_ENABLED": "false", "ALLOW_INSECURE_NO_AUTH": "true"]) { $1 }))
        #expect(open.auth.enabled == false)
    }

    @Test("authentication settings that would weaken verification are refused", arguments: [
        (["AUTHENTIK_ISSUER": ""], ConfigError("AUTHENTIK_ISSUER", "is required but not set")),
        (["AUTHENTIK_CLIENT_ID": ""], ConfigError("AUTHENTIK_CLIENT_ID", "is required but not set")),
        (["AUTHENTIK_ISSUER": "idp:9000/application/o/x/"], ConfigError("AUTHENTIK_ISSUER", "must be an http(s) URL such as http://host:9000/application/o/orcastra/")),
        (["AUTH_MODE": "header"], ConfigError("AUTH_MODE", "is header, but only authentik (OpenID Connect) is supported")),
    ])
    func authErrors(values: [String: String], expected: ConfigError) {
        #expect(throws: expected) { try APIConfig(settings: .testing(Self.withKey.merging(values) { $1 })) }
    }

    @Test("JWT_ALGORITHMS may not name HMAC or none", arguments: ["HS256", "none", "RS256,HS512"])
    func algorithmsPinned(value: String) {
        #expect(throws: ConfigError.self) { try APIConfig(settings: .testing(Self.withKey.merging(["JWT_ALGORITHMS": value]) { $1 })) }
    }
}
