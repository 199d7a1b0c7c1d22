import OrcastraModels

/// Which peers may tell us the real client address, and in which headers.
///
/// Forwarding headers are honoured only when the TCP peer is inside `TRUSTED_PROXY_CIDRS`;
/// a direct connection's headers are ignored entirely, since anyone can write them. Only the
/// headers the operator lists in `TRUSTED_CLIENT_IP_HEADERS` are read, because a proxy passes
/// on every header it does not set itself: nginx forwards a client's own `CF-Connecting-IP`
/// untouched, so reading it by default let anyone choose their address.
public struct ClientIPPolicy: Sendable {
    public var trustedProxies: [CIDR]
    /// Lower-cased header names, tried in order.
    public var headers: [String]
    /// When false, a forwarded address in a private range is not believed.
    public var allowPrivateForwarded: Bool

    /// Only `X-Forwarded-For`, which every proxy appends to (so its right end is trustworthy);
    /// behind Cloudflare the operator lists `cf-connecting-ip` and trusts Cloudflare's ranges.
    public static let defaultHeaders = ["x-forwarded-for"]

    public init(trustedProxies: [CIDR] = [], headers: [String] = Self.defaultHeaders, allowPrivateForwarded: Bool = true) {
        self.trustedProxies = trustedProxies
        self.headers = headers
        self.allowPrivateForwarded = allowPrivateForwarded
    }

    init(settings s: Settings) throws(ConfigError) {
        var proxies: [CIDR] = []
        for entry in s.list("TRUSTED_PROXY_CIDRS", default: []) {
            guard let cidr = CIDR(entry) else {
                throw ConfigError("TRUSTED_PROXY_CIDRS", "has '\(entry)', which is not an address or CIDR range")
            }
            proxies.append(cidr)
        }
        let headers = s.list("TRUSTED_CLIENT_IP_HEADERS", default: Self.defaultHeaders).map { $0.lowercased() }
        for name in headers where name.isEmpty || !name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) {
            throw ConfigError("TRUSTED_CLIENT_IP_HEADERS", "has '\(name)', which is not a header name (letters, digits and '-' only)")
        }
        self.init(
            trustedProxies: proxies,
            headers: headers,
            allowPrivateForwarded: try s.bool("ALLOW_PRIVATE_FORWARDED_IPS", default: true)
        )
    }

    func isTrusted(_ address: IPAddress) -> Bool {
        self.trustedProxies.contains { $0.contains(address) }
    }

    /// Resolves the client for one request from its peer address and a header lookup.
    public func resolve(peer: String?, header: (String) -> String?) -> ResolvedClient {
        guard let peerText = peer, let peerAddress = IPAddress(peerText) else {
            return ResolvedClient(ip: peer, proxyIP: nil, source: "peer", proxyTrusted: false)
        }
        guard self.isTrusted(peerAddress) else {
            return ResolvedClient(ip: peerAddress.description, proxyIP: nil, source: "peer", proxyTrusted: false)
        }
        for name in self.headers {
            guard let value = header(name) else { continue }
            // Walk from the right: the rightmost entries were added by our own proxies,
            // everything left of the first untrusted hop is the client's to forge.
            for candidate in value.split(separator: ",").reversed() {
                guard let address = IPAddress(candidate) else { break }
                if self.isTrusted(address) { continue }
                if !self.allowPrivateForwarded && address.isPrivate { break }
                return ResolvedClient(ip: address.description, proxyIP: peerAddress.description, source: name, proxyTrusted: true)
            }
        }
        return ResolvedClient(ip: peerAddress.description, proxyIP: nil, source: "peer", proxyTrusted: true)
    }
}

/// The outcome of client address resolution, as the access log records it.
public struct ResolvedClient: Sendable, Equatable {
    public var ip: String?
    public var proxyIP: String?
    public var source: String
    public var proxyTrusted: Bool

    public init(ip: String?, proxyIP: String?, source: String, proxyTrusted: Bool) {
        self.ip = ip
        self.proxyIP = proxyIP
        self.source = source
        self.proxyTrusted = proxyTrusted
    }
}
