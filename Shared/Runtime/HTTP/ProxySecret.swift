import HTTPTypes
import Hummingbird

/// `AUTH_PROXY_SECRET`, shared by the gateway and the API: the gateway sends it in
/// `X-Orcastra-Proxy-Secret` when it vouches for something only it can see (the browser's
/// address at sign-in, a sign-in that failed before any token existed).
public enum ProxySecret {
    public static let header = HTTPField.Name("X-Orcastra-Proxy-Secret")!

    /// Whether `request` carries the secret, i.e. comes from the gateway; never when no secret
    /// is configured. Compared in constant time.
    public static func vouches(for request: Request, secret: String?) -> Bool {
        guard let secret, let presented = request.headers[Self.header] else { return false }
        return SecureCompare.equal(presented, secret)
    }
}
