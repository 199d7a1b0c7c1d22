import Crypto
import Foundation
import OrcastraRuntime

/// Gateway sessions in Redis, sealed with AES-GCM under a key derived from `NEXTAUTH_SECRET`.
///
/// The browser's cookie holds only a random 256-bit id; Redis is keyed by its SHA-256, so
/// neither a Redis dump nor a log of keys gives anyone a usable cookie, and the body (tokens)
/// is unreadable without the secret. A tampered or unreadable body counts as signed out.
struct SessionVault: Sendable {
    let redis: RedisClient
    let key: SymmetricKey
    /// How long an idle session lives in Redis; each save extends it.
    var lifetime: Int = 30 * 86_400

    static let cookieName = "orcastra_session"

    static func redisKey(_ cookieID: String) -> String {
        "orcastra:gw-session:" + SHA256.hash(data: Data(cookieID.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// Stores a new session under a fresh id (never one the browser brought: no fixation).
    func create(_ session: GatewaySession) async throws -> String {
        let id = LoginState.random()
        try await self.save(session, id: id)
        return id
    }

    func save(_ session: GatewaySession, id: String) async throws {
        let sealed = try AES.GCM.seal(try JSONEncoder().encode(session), using: self.key, authenticating: Data(Self.redisKey(id).utf8))
        guard let combined = sealed.combined else { throw RedisError.server("could not seal the session") }
        _ = try await self.redis.command([Array("SET".utf8), Array(Self.redisKey(id).utf8), Array(combined), Array("EX".utf8), Array(String(self.lifetime).utf8)])
    }

    /// The session for a cookie id, or nil when there is none or it does not open.
    func load(_ id: String) async throws -> GatewaySession? {
        guard id.utf8.count == 43 else { return nil }
        let value = try await self.redis.command([Array("GET".utf8), Array(Self.redisKey(id).utf8)])
        guard case .bulk(let bytes) = value else { return nil }
        guard let box = try? AES.GCM.SealedBox(combined: bytes),
              let plain = try? AES.GCM.open(box, using: self.key, authenticating: Data(Self.redisKey(id).utf8)) else { return nil }
        return try? JSONDecoder().decode(GatewaySession.self, from: plain)
    }

    func delete(_ id: String) async throws {
        _ = try await self.redis.command("DEL", Self.redisKey(id))
    }
}
