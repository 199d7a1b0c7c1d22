/// Warns about plain-HTTP URLs to services that carry secrets (the OpenID provider's tokens and
/// keys, Vault's token and secrets) when they leave the machine or the private network: such a
/// setting works, so nothing else would ever say that tokens cross the internet unencrypted.
/// Start-up logs each warning and `/health` lists them under `warnings`.
public enum InsecureTransport {
    /// A warning for `variable` when `url` is `http://` to a host that is neither loopback nor
    /// private; nil otherwise. Single-label names (`vault`, `authentik`) and `.local`/`.internal`
    /// names count as private: they only resolve inside a private network.
    public static func warning(variable: String, url: String) -> String? {
        guard url.lowercased().hasPrefix("http://"), let parts = URLParts(url) else { return nil }
        let host = parts.host.lowercased()
        if let address = IPAddress(host) {
            if address.isPrivate { return nil }
        } else if host == "localhost" || host.hasSuffix(".localhost") || !host.contains(".") || host.hasSuffix(".local") || host.hasSuffix(".internal") {
            return nil
        }
        return "\(variable) is plain http:// to \(host), which is not a loopback or private address: tokens and secrets cross the network unencrypted; use https://"
    }

    /// The warnings for several variables at once, in the order given.
    public static func warnings(_ urls: KeyValuePairs<String, String?>) -> [String] {
        urls.compactMap { name, url in url.flatMap { Self.warning(variable: name, url: $0) } }
    }
}
