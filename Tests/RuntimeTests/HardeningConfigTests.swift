import Foundation
import OrcastraRuntime
import OrcastraTestSupport
import Testing

/// Shared hardening settings: plain-http warnings and the Redis sealer.
@Suite("Hardening configuration: transport warnings, Redis encryption")
struct HardeningConfigTests {
    @Test("plain http:// to a public address warns; https, loopback, private and in-network names do not")
    func insecureTransport() {
        #expect(InsecureTransport.warning(variable: "AUTHENTIK_ISSUER", url: "http://auth.example.com/application/o/x/")?.hasPrefix("AUTHENTIK_ISSUER is plain http://") == true)
        #expect(InsecureTransport.warning(variable: "VAULT_ADDR", url: "http://203.0.113.5:8200") != nil)
        for quiet in ["https://auth.example.com/", "http://127.0.0.1:9000/", "http://localhost:9000/", "http://10.1.2.3:8200",
                      "http://192.168.1.5", "http://[::1]:8200", "http://vault:8200", "http://authentik.internal/"] {
            #expect(InsecureTransport.warning(variable: "V", url: quiet) == nil, "\(quiet)")
        }
        #expect(InsecureTransport.warnings(["A": "http://198.51.100.1", "B": nil, "C": "https://x.example"]).count == 1)
    }

    @Test("REDIS_ENCRYPTION_*: off by default; on needs a key of 32+ characters; a sealed value opens only under its own key and Redis key")
    func redisSealer() throws {
        #expect(try RedisSealer.read(.testing([:])) == nil)
        #expect(throws: ConfigError("REDIS_ENCRYPTION_KEY", "is required when REDIS_ENCRYPTION_ENABLED=true (openssl rand -hex 32)")) {
            try RedisSealer.read(.testing(["REDIS_ENCRYPTION_ENABLED": "true"]))
        }
        #expect(throws: ConfigError("REDIS_ENCRYPTION_KEY", "must be at least 32 characters (openssl rand -hex 32)")) {
            try RedisSealer.read(.testing(["REDIS_ENCRYPTION_ENABLED": "true", "REDIS_ENCRYPTION_KEY": "short"]))
        }
        let sealer = try #require(try RedisSealer.read(.testing(["REDIS_ENCRYPTION_ENABLED": "true", "REDIS_ENCRYPTION_KEY": String(repeating: "k", count: 64)])))
        let sealed = try sealer.seal(Array("a cached secret".utf8), redisKey: "orcastra:cache:1")
        #expect(!String(decoding: sealed, as: UTF8.self).contains("a cached secret"))
        #expect(sealer.open(sealed, redisKey: "orcastra:cache:1") == Array("a cached secret".utf8))
        #expect(sealer.open(sealed, redisKey: "orcastra:cache:2") == nil)
        #expect(RedisSealer(secret: String(repeating: "x", count: 64)).open(sealed, redisKey: "orcastra:cache:1") == nil)
    }
}
