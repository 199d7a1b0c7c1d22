import Crypto
import Foundation
import Hummingbird
import Logging
import OrcastraRuntime

/// Finds the signed-in session of a request, keeping it usable: refused once the API has
/// flagged it ended or it is past its lifetime (`SessionVault`), its idle time restarted, and
/// refreshed before its access token expires.
///
/// Concurrent requests of one session refresh once (Services/README.md, security rule 7): the first takes a
/// Redis lock and refreshes, the others wait for the new tokens to appear. `invalid_grant`
/// ends the session.
struct SessionGuard: Sendable {
    let vault: SessionVault
    let redis: RedisClient
    let party: RelyingParty
    let api: APIClient
    /// Resolves the browser's address, which the refresh reports vouch for to the API.
    let clientIP: ClientIPPolicy
    let skew: Duration
    let logger: Logger

    /// A session and the cookie id it is stored under.
    struct Current: Sendable {
        let id: String
        var session: GatewaySession
    }

    /// Longer than the slowest refresh (discovery 5 s + token endpoint 10 s + the API's two
    /// calls 20 s), so the lock cannot expire under a refresh that is still running.
    static let lockLifetimeMilliseconds = 45_000

    func current(_ request: Request, context: AppRequestContext) async throws -> Current? {
        // At most one Redis round trip: the read also checks the API's session-ended flag.
        guard let id = SessionVault.cookieID(in: request.headers), let session = try await self.vault.load(id) else { return nil }
        guard session.needsRefresh(skew: self.skew) else { return Current(id: id, session: session) }
        let client = self.clientIP.resolve(request, context: context).ip
        return try await self.refresh(id: id, stale: session, requestID: context.state.requestID, client: client).map { Current(id: id, session: $0) }
    }

    /// The session with fresh tokens, nil when it cannot go on (refresh refused or no refresh token).
    func refresh(id: String, stale: GatewaySession, requestID: String, client: String?) async throws -> GatewaySession? {
        let lock = "orcastra:gw-session-lock:" + SessionVault.redisKey(id).suffix(64)
        let owner = LoginState.random()
        let deadline = ContinuousClock.now + .milliseconds(Self.lockLifetimeMilliseconds)
        while ContinuousClock.now < deadline {
            let taken = try await self.redis.command("SET", lock, owner, "NX", "PX", String(Self.lockLifetimeMilliseconds))
            if taken == .status("OK") {
                do {
                    let result = try await self.refreshHoldingLock(id: id, stale: stale, requestID: requestID, client: client)
                    try? await self.release(lock, owner: owner)
                    return result
                } catch {
                    try? await self.release(lock, owner: owner)
                    throw error
                }
            }
            try await Task.sleep(for: .milliseconds(100))
            guard let latest = try await self.vault.load(id, fresh: true) else { return nil }
            if !latest.needsRefresh(skew: self.skew) { return latest }
        }
        throw APIError(.serviceUnavailable, code: "refresh_timeout", message: "Your session is being refreshed; try again.")
    }

    private func refreshHoldingLock(id: String, stale: GatewaySession, requestID: String, client: String?) async throws -> GatewaySession? {
        // Another request may have refreshed between our read and the lock.
        guard let latest = try await self.vault.load(id, fresh: true) else { return nil }
        if !latest.needsRefresh(skew: self.skew) { return latest }
        guard let refreshToken = latest.refreshToken else {
            try await self.end(id, latest, why: "access token expired and there is no refresh token")
            return nil
        }
        let tokens: TokenResponse
        do {
            tokens = try await self.party.refresh(refreshToken)
        } catch .invalidGrant {
            // Another request may have rotated the token after all: then its result stands.
            if let again = try await self.vault.load(id, fresh: true), again.refreshToken != latest.refreshToken { return again }
            try await self.end(id, latest, why: "the provider refused the refresh token (invalid_grant)")
            return nil
        } catch {
            // The provider is down: the old token still works until it really expires.
            if latest.accessExpires > Date().timeIntervalSince1970 { return latest }
            throw APIError(.badGateway, code: "idp_unreachable", message: "Your session could not be refreshed: the identity provider did not answer.")
        }
        var updated = latest
        updated.accessToken = tokens.accessToken
        updated.refreshToken = tokens.refreshToken ?? latest.refreshToken
        updated.idToken = tokens.idToken ?? latest.idToken
        updated.accessExpires = Date().timeIntervalSince1970 + Double(tokens.expiresIn ?? 300)
        // Saved at once: the provider has already retired the old refresh token.
        try await self.vault.save(updated, id: id)
        do {
            try await self.api.reportRefresh(accessToken: updated.accessToken, session: updated.apiSessionID, requestID: requestID, client: client)
            // Groups may have changed at the provider: pages show the role the API sees now.
            let identity = try await self.api.me(accessToken: updated.accessToken, session: updated.apiSessionID, requestID: requestID, client: client)
            if identity != updated.identity {
                updated.identity = identity
                try await self.vault.save(updated, id: id)
            }
        } catch {
            self.logger.warning("could not report a token refresh to the API", metadata: ["error": "\(error)"])
        }
        return updated
    }

    private func end(_ id: String, _ session: GatewaySession, why: String) async throws {
        self.logger.info("session ended", metadata: ["reason": "\(why)", "session_id": "\(session.apiSessionID)"])
        try await self.vault.delete(id)
    }

    /// Deletes the lock only if we still own it (it may have expired and been taken since).
    private func release(_ lock: String, owner: String) async throws {
        let script = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end"
        _ = try await self.redis.command("EVAL", script, "1", lock, owner)
    }
}
