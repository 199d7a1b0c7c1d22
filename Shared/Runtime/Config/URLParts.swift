/// A minimal, strict parser for the `scheme://[user[:password]@]host[:port][/path][?query]`
/// URLs of our configuration.
///
/// Foundation's URL accepts too much (and differs between platforms) to give precise error
/// messages; this one knows exactly the forms our configuration's URLs may take.
public struct URLParts: Equatable, Sendable {
    public var scheme: String
    public var user: String?
    public var password: String?
    public var host: String
    public var port: Int?
    public var path: String
    public var query: [String: String]

    public init?(_ string: String) {
        guard let schemeEnd = string.range(of: "://") else { return nil }
        self.scheme = String(string[..<schemeEnd.lowerBound]).lowercased()
        var rest = Substring(string[schemeEnd.upperBound...])

        var queryPart: Substring = ""
        if let q = rest.firstIndex(of: "?") {
            queryPart = rest[rest.index(after: q)...]
            rest = rest[..<q]
        }
        var authority = rest
        self.path = ""
        if let slash = rest.firstIndex(of: "/") {
            authority = rest[..<slash]
            self.path = String(rest[slash...])
        }
        if let at = authority.lastIndex(of: "@") {
            let credentials = authority[..<at]
            authority = authority[authority.index(after: at)...]
            if let colon = credentials.firstIndex(of: ":") {
                self.user = Self.percentDecoded(credentials[..<colon])
                self.password = Self.percentDecoded(credentials[credentials.index(after: colon)...])
            } else {
                self.user = Self.percentDecoded(credentials)
            }
            if self.user?.isEmpty == true { self.user = nil }
        }
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return nil }
            self.host = String(authority[authority.index(after: authority.startIndex)..<close])
            let after = authority[authority.index(after: close)...]
            if after.hasPrefix(":") {
                guard let port = Int(after.dropFirst()) else { return nil }
                self.port = port
            } else if !after.isEmpty {
                return nil
            }
        } else if let colon = authority.lastIndex(of: ":") {
            self.host = String(authority[..<colon])
            guard let port = Int(authority[authority.index(after: colon)...]) else { return nil }
            self.port = port
        } else {
            self.host = String(authority)
        }
        if let port = self.port, !(1...65535).contains(port) { return nil }
        self.query = [:]
        for pair in queryPart.split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            self.query[String(kv[0])] = kv.count > 1 ? Self.percentDecoded(kv[1]) : ""
        }
    }

    /// Decodes `%XX` escapes, as operators write passwords containing `@` or `:`.
    static func percentDecoded(_ s: Substring) -> String {
        var bytes: [UInt8] = []
        var iterator = Array(s.utf8).makeIterator()
        while let b = iterator.next() {
            if b == UInt8(ascii: "%"), let h = iterator.next(), let l = iterator.next(),
               let value = UInt8(String(decoding: [h, l], as: UTF8.self), radix: 16) {
                bytes.append(value)
            } else {
                bytes.append(b)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
