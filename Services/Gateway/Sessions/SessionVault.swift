import Crypto
import Foundation
import HTTPTypes
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
///
/// At most one round trip per request: the stored value is `s1:` + the API's session id + the
/// sealed body (the id is bound into the seal), so one script reads the value, renews it and
/// checks the flag the API sets when that session ends (`SessionRevocation`), all inside Redis.
/// For `trustWindow` after such a read the session is served from memory (`OpenedSessions`),
/// unless its change or end has been announced meanwhile (`SessionAnnouncements`), which
/// every replica hears: a revoked session is refused on its very next request everywhere.
struct SessionVault: Sendable {
    let redis: RedisClient
    let key: SymmetricKey
    var maxAge: Duration = .seconds(12 * 3600)
    var idle: Duration = .seconds(3600)
    /// Sessions unsealed before, reused while their stored bytes are unchanged, and trusted
    /// without a read for `trustWindow` while the gateway hears the announcements.
    var opened = OpenedSessions()

    /// How long a session read from Redis stands for the next reads. Only reads renew the idle
    /// time in Redis, so a session whose last requests were served from memory ends up to this
    /// much before its idle time (never after it); at most half the idle time, so a session in
    /// use is always read, and renewed, before Redis lets it go.
    var trustWindow: Duration { min(.seconds(30), self.idle / 2) }

    /// The cookie's Max-Age: the browser may forget it when the session cannot live longer.
    var cookieLifetime: Int { Int(self.maxAge.components.seconds) }

    static let cookieName = "orcastra_session"

    /// The session id a request's `Cookie` headers carry: the first `orcastra_session`, as
    /// Hummingbird's cookie lookup finds it, read on bytes (every request asks).
    static func cookieID(in fields: HTTPFields) -> String? {
        let name = Array(Self.cookieName.utf8) + [UInt8(ascii: "=")]
        for header in fields[values: .cookie] {
            var rest = Substring(header).utf8
            while !rest.isEmpty {
                let end = rest.firstIndex(of: UInt8(ascii: ";")) ?? rest.endIndex
                let pair = rest[..<end].drop { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }
                if pair.starts(with: name) { return String(Substring(pair.dropFirst(name.count))) }
                rest = end == rest.endIndex ? rest[end...] : rest[rest.index(after: end)...]
            }
        }
        return nil
    }

    /// The session stored at `key` (`redisKey` of its cookie id) when memory may stand for a
    /// read (`OpenedSessions.trusted`) and it is within its lifetime, with its API session id as
    /// sent to the API; nil means "read Redis" (`load`), not "signed out".
    func trusted(key: String) -> (session: GatewaySession, apiSession: String)? {
        guard let trusted = self.opened.trusted(at: key), self.ttl(of: trusted.session) != nil else { return nil }
        return trusted
    }

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
        let key = Self.redisKey(id)
        let apiSession = Array(session.apiSessionID.uuidString.lowercased().utf8)
        let sealed = try AES.GCM.seal(try JSONEncoder().encode(session), using: self.key, authenticating: Self.sealContext(key, apiSession))
        guard let combined = sealed.combined else { throw RedisError.server("could not seal the session") }
        let value = Self.prefix + apiSession + Array(combined)
        self.opened.forget(key)
        _ = try await self.redis.command([Array("SET".utf8), Array(key.utf8), value, Array("EX".utf8), Array(String(ttl).utf8)])
        try await SessionAnnouncements.announce(.saved(key: key), redis: self.redis)
    }

    static let prefix = Array("s1:".utf8)

    /// What the seal authenticates besides the body: the Redis key (a value moved to another
    /// key does not open) and the API session id written in clear before it (nor does one
    /// whose id was swapped to dodge a revocation flag).
    static func sealContext(_ key: String, _ apiSession: [UInt8]) -> Data {
        Data(key.utf8) + Data([0]) + Data(apiSession)
    }

    /// Reads and renews the value, and answers `0` instead when the API has flagged its session
    /// ended: KEYS[1] the session, ARGV[1] the idle seconds, ARGV[2] the flag's key prefix.
    static let readScript = """
        local v = redis.call('GETEX', KEYS[1], 'EX', ARGV[1])
        if not v or string.sub(v, 1, 3) ~= 's1:' then return false end
        if redis.call('EXISTS', ARGV[2] .. string.sub(v, 4, 39)) == 1 then return 0 end
        return v
        """
    static let readScriptSHA = Hex.encode(Insecure.SHA1.hash(data: Array(readScript.utf8)))

    /// The session for a cookie id, or nil when there is none, it does not open, the API has
    /// ended it or it is past `maxAge` (those two are deleted). `fresh` reads Redis whatever
    /// is in memory: the refresh must see the refresh token another replica may just have used.
    func load(_ id: String, fresh: Bool = false) async throws -> GatewaySession? {
        switch try await self.open(id, fresh: fresh) {
        case .none:
            return nil
        case .ended:
            try await self.delete(id)
            return nil
        case .session(let session):
            guard self.ttl(of: session) != nil else {
                try await self.delete(id)
                return nil
            }
            return session
        }
    }

    /// What one read found.
    enum Found {
        case none
        /// The API ended this session; its value is still in Redis until deleted.
        case ended
        case session(GatewaySession)
    }

    private func open(_ id: String, fresh: Bool) async throws -> Found {
        guard id.utf8.count == 43 else { return .none }
        let key = Self.redisKey(id)
        if !fresh, let trusted = self.opened.trusted(at: key) { return .session(trusted.session) }
        // Reading is using: the idle time starts again (`load` refuses what is past `maxAge`).
        let generation = self.opened.generation
        let value = try await self.readAndRenew(key)
        if case .integer(0) = value { return .ended }
        guard case .bulk(let bytes) = value, bytes.count > Self.prefix.count + 36 else { return .none }
        let apiSession = Array(bytes[Self.prefix.count..<(Self.prefix.count + 36)])
        let apiSessionText = String(decoding: apiSession, as: UTF8.self)
        if let known = self.opened.session(at: key, value: bytes) {
            self.opened.remember(known, at: key, value: bytes, apiSession: apiSessionText, readAt: generation, window: self.trustWindow)
            return .session(known)
        }
        guard let box = try? AES.GCM.SealedBox(combined: bytes[(Self.prefix.count + 36)...]),
              let plain = try? AES.GCM.open(box, using: self.key, authenticating: Self.sealContext(key, apiSession)),
              let session = try? JSONDecoder().decode(GatewaySession.self, from: plain),
              Array(session.apiSessionID.uuidString.lowercased().utf8) == apiSession else { return .none }
        self.opened.remember(session, at: key, value: bytes, apiSession: apiSessionText, readAt: generation, window: self.trustWindow)
        return .session(session)
    }

    /// The script by its SHA-1, loading it on the first call after Redis (re)started.
    private func readAndRenew(_ key: String) async throws -> RedisValue {
        let arguments = [Array(key.utf8), Array(String(self.idle.components.seconds).utf8), Array(SessionRevocation.keyPrefix.utf8)]
        do {
            return try await self.redis.command([Array("EVALSHA".utf8), Array(Self.readScriptSHA.utf8), Array("1".utf8)] + arguments)
        } catch RedisError.server(let message) where message.hasPrefix("NOSCRIPT") {
            return try await self.redis.command([Array("EVAL".utf8), Array(Self.readScript.utf8), Array("1".utf8)] + arguments)
        }
    }

    func delete(_ id: String) async throws {
        let key = Self.redisKey(id)
        self.opened.forget(key)
        _ = try await self.redis.command("DEL", key)
        try await SessionAnnouncements.announce(.saved(key: key), redis: self.redis)
    }
}
