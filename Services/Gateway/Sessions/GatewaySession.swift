import Foundation
import OrcastraModels

/// A signed-in browser as the gateway keeps it in Redis (encrypted): the provider's tokens,
/// the API's session id and who the API said the user is.
struct GatewaySession: Codable, Sendable, Equatable {
    /// The API's id of this sign-in (`/api/v1/sessions/<id>`), sent as `X-Orcastra-Session`.
    var apiSessionID: UUID
    var accessToken: String
    var refreshToken: String?
    var idToken: String
    /// When the access token expires (seconds since 1970).
    var accessExpires: Double
    var identity: Identity
    var createdAt: Double

    func needsRefresh(skew: Duration, now: Date = Date()) -> Bool {
        self.accessExpires - Double(skew.components.seconds) <= now.timeIntervalSince1970
    }
}
