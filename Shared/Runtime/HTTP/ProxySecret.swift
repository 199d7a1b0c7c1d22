import HTTPTypes
import Hummingbird

/// `AUTH_PROXY_SECRET`, shared by the gateway and the API: the gateway sends it in
/// `X-Orcastra-Proxy-Secret` on every call it makes to the API on its own behalf (session
/// start, `/me`, refresh and sign-out reports, failed sign-ins), together with the browser's
/// address in `X-Orcastra-Client-IP`. With the secret the API believes that address, for the
/// session record and for the rate limits, so that one browser's flood spends only its own
/// budget instead of the one every sign-in shares (Services/README.md, security rule 19).
public enum ProxySecret {
    public static let header = HTTPField.Name("X-Orcastra-Proxy-Secret")!
    /// The browser address the gateway vouches for; ignored without a valid secret.
    public static let clientHeader = HTTPField.Name("X-Orcastra-Client-IP")!

    /// Whether `request` carries the secret, i.e. comes from the gateway; never when no secret
    /// is configured. Compared in constant time.
    public static func vouches(for request: Request, secret: String?) -> Bool {
        guard let secret, let presented = request.headers[Self.header] else { return false }
        return SecureCompare.equal(presented, secret)
    }

    /// The browser address the gateway vouches for, when the secret is valid and the address parses.
    public static func vouchedClient(of request: Request, secret: String?) -> IPAddress? {
        guard Self.vouches(for: request, secret: secret), let value = request.headers[Self.clientHeader] else { return nil }
        return IPAddress(value)
    }
}
