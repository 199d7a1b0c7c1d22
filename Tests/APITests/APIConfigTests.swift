import OrcastraRuntime
import OrcastraTestSupport
import Testing

@testable import OrcastraAPI

@Suite("API configuration")
struct APIConfigTests {
    static let base = ["DATABASE_URL": "postgresql://u:p@h/d"]

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
}
