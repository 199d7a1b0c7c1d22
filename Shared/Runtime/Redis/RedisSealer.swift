import Crypto
import Foundation

/// `REDIS_ENCRYPTION_ENABLED` / `REDIS_ENCRYPTION_KEY`: seals values a service caches in Redis
/// with AES-256-GCM under a key derived (HKDF-SHA256) from `REDIS_ENCRYPTION_KEY`, each bound
/// to its Redis key so a value copied to another key does not open.
///
/// What Redis holds today needs no sealing or is sealed already: rate-limit and probe counters
/// and blocks (addresses and numbers), session-ended flags (a session id and a timestamp), the
/// gateway's refresh locks (a random owner), and gateway sessions, which `SessionVault` seals
/// under its own key from `NEXTAUTH_SECRET`. Anything cached later that carries personal data
/// or secrets goes through this sealer.
public struct RedisSealer: Sendable {
    let key: SymmetricKey

    public init(secret: String) {
        self.key = HKDF<SHA256>.deriveKey(inputKeyMaterial: SymmetricKey(data: Data(secret.utf8)),
                                          info: Data("orcastra-redis-encryption-v1".utf8), outputByteCount: 32)
    }

    /// nil when `REDIS_ENCRYPTION_ENABLED` is false (the default); enabled needs a key of at
    /// least 32 characters (`make env` writes one).
    public static func read(_ s: Settings) throws(ConfigError) -> RedisSealer? {
        guard try s.bool("REDIS_ENCRYPTION_ENABLED", default: false) else { return nil }
        guard let secret = s.string("REDIS_ENCRYPTION_KEY", secret: true) else {
            throw ConfigError("REDIS_ENCRYPTION_KEY", "is required when REDIS_ENCRYPTION_ENABLED=true (openssl rand -hex 32)")
        }
        guard secret.utf8.count >= 32 else {
            throw ConfigError("REDIS_ENCRYPTION_KEY", "must be at least 32 characters (openssl rand -hex 32)")
        }
        return RedisSealer(secret: secret)
    }

    /// Nonce, ciphertext and tag in one value, bound to `redisKey`.
    public func seal(_ value: [UInt8], redisKey: String) throws -> [UInt8] {
        guard let combined = try AES.GCM.seal(value, using: self.key, authenticating: Data(redisKey.utf8)).combined else {
            throw RedisError.server("could not seal a value")
        }
        return Array(combined)
    }

    /// The value, or nil when it was sealed under another key, for another Redis key, or edited.
    public func open(_ sealed: [UInt8], redisKey: String) -> [UInt8]? {
        guard let box = try? AES.GCM.SealedBox(combined: sealed),
              let plain = try? AES.GCM.open(box, using: self.key, authenticating: Data(redisKey.utf8)) else { return nil }
        return Array(plain)
    }
}
