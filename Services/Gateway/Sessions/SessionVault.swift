import Crypto
import Foundation
import OrcastraRuntime

/// Gateway sessions in Redis, sealed with AES-GCM under a key derived from `NEXTAUTH_SECRET`.
///
/// The browser's cookie holds only a random 256-bit id; Redis is keyed by its SHA-256, so
/// neither a Redis dump nor a log of keys gives anyone a usable cookie, and the body (tokens)
/// is unreadable without the secret. A tampered or unreadable body counts as signed out.
///
/// A session lives at most `maxAge` from sign-in and `idle` from its last request. Redis keeps
/// each one for the lower of the two when it is saved (`ttl(of:)`), and every read renews it by
/// `idle` in the same round trip (`GETEX`), so an idle session is deleted by Redis itself at no
/// extra cost per request; `load` also refuses and deletes one past `maxAge`.
struct SessionVault: Sendable {
    let redis: RedisClient
    let key: SymmetricKey
    var maxAge: Duration = .seconds(12 * 3600)
    var idle: Duration = .seconds(3600)

    /// The cookie's Max-Age: the browser may forget it when the session cannot live longer.
    var cookieLifetime: Int { Int(self.maxAge.components.seconds) }

    static let cookieName = "orcastra_session"

    /// `orcastra:gw-session:` and the lower-case hex SHA-256 of the cookie id, built in one
    /// buffer: it runs on every request.
    static func redisKey(_ cookieID: String) -> String {
        Hex.encode(SHA256.hash(data: Array(cookieID.utf8)), after: "orcastra:gw-session:")
    }

    /// Stores a new session under a fresh id (never one the browser brought: no fixation).
    func create(_ session: GatewaySession) async throws -> String {
        let id = LoginState.random()
        try await self.save(session, id: id)
        return id
    }

    /// Seconds the session may still live in Redis, or nil when it is past `maxAge`.
    func ttl(of session: GatewaySession, now: Date = Date()) -> Int? {
        let remaining = session.createdAt + Double(self.maxAge.components.seconds) - now.timeIntervalSince1970
        guard remaining >= 1 else { return nil }
        return min(Int(self.idle.components.seconds), Int(remaining))
    }

    /// Stores `session` for its `ttl(of:)`; one past `maxAge` is deleted instead.
    func save(_ session: GatewaySession, id: String) async throws {
        guard let ttl = self.ttl(of: session) else { return try await self.delete(id) }
        let sealed = try AES.GCM.seal(try JSONEncoder().encode(session), using: self.key, authenticating: Data(Self.redisKey(id).utf8))
        guard let combined = sealed.combined else { throw RedisError.server("could not seal the session") }
        _ = try await self.redis.command([Array("SET".utf8), Array(Self.redisKey(id).utf8), Array(combined), Array("EX".utf8), Array(String(ttl).utf8)])
    }

    /// The session for a cookie id, or nil when there is none, it does not open or it is past
    /// `maxAge` (then it is deleted).
    func load(_ id: String) async throws -> GatewaySession? {
        guard let session = try await self.open(id) else { return nil }
        guard self.ttl(of: session) != nil else {
            try await self.delete(id)
            return nil
        }
        return session
    }

    private func open(_ id: String) async throws -> GatewaySession? {
        guard id.utf8.count == 43 else { return nil }
        // Reading is using: the idle time starts again (`load` refuses what is past `maxAge`).
        let idle = Array(String(self.idle.components.seconds).utf8)
        let value = try await self.redis.command([Array("GETEX".utf8), Array(Self.redisKey(id).utf8), Array("EX".utf8), idle])
        guard case .bulk(let bytes) = value else { return nil }
        guard let box = try? AES.GCM.SealedBox(combined: bytes),
              let plain = try? AES.GCM.open(box, using: self.key, authenticating: Data(Self.redisKey(id).utf8)) else { return nil }
        return try? JSONDecoder().decode(GatewaySession.self, from: plain)
    }

    func delete(_ id: String) async throws {
        _ = try await self.redis.command("DEL", Self.redisKey(id))
    }
}
