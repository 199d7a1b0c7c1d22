import Foundation
import Synchronization

/// What the user consented to at the authorization endpoint, kept until the code is redeemed.
struct AuthorizationGrant: Sendable, Equatable {
    var clientID: String
    var redirectURI: String
    var username: String
    var scopes: [String]
    var nonce: String?
    /// S256 challenge; nil when the client sent none.
    var codeChallenge: String?
    /// Seconds since 1970 of the sign-in.
    var authTime: Int
    var expiresAt: Date
}

/// A refresh token's grant: who, for which client and scopes, until when.
struct RefreshGrant: Sendable, Equatable {
    var clientID: String
    var username: String
    var scopes: [String]
    var authTime: Int
    var expiresAt: Date
}

/// Authorization codes, refresh tokens and opaque access tokens, in memory only: a restart signs
/// everyone out of the refresh flow, which is acceptable for a development provider.
///
/// Redeeming removes the entry first, so a code or refresh token works once whatever happens
/// next (a failed PKCE check burns the code, as RFC 6749 §4.1.2 allows). Expired entries are
/// dropped whenever something new is stored.
final class GrantStore: Sendable {
    private struct State {
        var codes: [String: AuthorizationGrant] = [:]
        var refreshTokens: [String: RefreshGrant] = [:]
        /// Opaque access tokens (`TokenStyle.opaqueAccessTokens`) and the claims a JWT would carry.
        var accessTokens: [String: TokenClaims] = [:]
    }

    private let state = Mutex(State())

    init() {}

    func issueCode(_ grant: AuthorizationGrant, now: Date) -> String {
        let code = RandomToken.make()
        self.state.withLock { state in
            Self.purge(&state, now: now)
            state.codes[code] = grant
        }
        return code
    }

    /// The grant of `code` if it exists, has not expired and belongs to `clientID`; the code
    /// is spent either way.
    func redeemCode(_ code: String, clientID: String, now: Date) -> AuthorizationGrant? {
        guard let grant = self.state.withLock({ $0.codes.removeValue(forKey: code) }) else { return nil }
        return grant.expiresAt > now && grant.clientID == clientID ? grant : nil
    }

    func issueRefreshToken(_ grant: RefreshGrant, now: Date) -> String {
        let token = RandomToken.make()
        self.state.withLock { state in
            Self.purge(&state, now: now)
            state.refreshTokens[token] = grant
        }
        return token
    }

    /// Rotation: the grant of a live refresh token of `clientID`, which is dead afterwards.
    /// A token of another client is left alone, so a client cannot burn someone else's.
    func redeemRefreshToken(_ token: String, clientID: String, now: Date) -> RefreshGrant? {
        self.state.withLock { state in
            guard let grant = state.refreshTokens[token], grant.clientID == clientID else { return nil }
            state.refreshTokens[token] = nil
            return grant.expiresAt > now ? grant : nil
        }
    }

    /// The live grant of a refresh token without spending it (introspection).
    func refreshGrant(_ token: String, now: Date) -> RefreshGrant? {
        self.state.withLock { state in
            guard let grant = state.refreshTokens[token], grant.expiresAt > now else { return nil }
            return grant
        }
    }

    /// RFC 7009: removes a refresh token of `clientID`; unknown tokens are not an error.
    func revokeRefreshToken(_ token: String, clientID: String) {
        self.state.withLock { state in
            if state.refreshTokens[token]?.clientID == clientID { state.refreshTokens[token] = nil }
        }
    }

    /// A new opaque access token standing for `claims` until their `exp`.
    func issueAccessToken(_ claims: TokenClaims, now: Date) -> String {
        let token = RandomToken.make()
        self.state.withLock { state in
            Self.purge(&state, now: now)
            state.accessTokens[token] = claims
        }
        return token
    }

    /// The claims of a live opaque access token.
    func accessToken(_ token: String, now: Date) -> TokenClaims? {
        self.state.withLock { state in
            guard let claims = state.accessTokens[token], Double(claims.exp) > now.timeIntervalSince1970 else { return nil }
            return claims
        }
    }

    /// RFC 7009 for an opaque access token of `clientID`: it is dead at once.
    func revokeAccessToken(_ token: String, clientID: String) {
        self.state.withLock { state in
            if state.accessTokens[token]?.azp == clientID { state.accessTokens[token] = nil }
        }
    }

    private static func purge(_ state: inout State, now: Date) {
        state.codes = state.codes.filter { $0.value.expiresAt > now }
        state.refreshTokens = state.refreshTokens.filter { $0.value.expiresAt > now }
        state.accessTokens = state.accessTokens.filter { Double($0.value.exp) > now.timeIntervalSince1970 }
    }
}
