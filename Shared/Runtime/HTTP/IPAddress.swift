import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An IPv4 or IPv6 address as raw bytes; IPv4-mapped IPv6 addresses are folded to IPv4 so
/// that one CIDR list matches a client however the socket reported it.
public struct IPAddress: Hashable, Sendable, CustomStringConvertible {
    /// 4 bytes for IPv4, 16 for IPv6.
    public let bytes: [UInt8]

    /// Parses the text form; blanks around it, `[…]` and an IPv6 zone (`%eth0`) are dropped.
    /// Every request's peer address passes here, so it works on bytes, not Foundation strings.
    public init?(_ text: some StringProtocol) {
        let isBlank = { (byte: UInt8) in byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }
        var chars = Array(text.utf8)[...]
        while let first = chars.first, isBlank(first) { chars.removeFirst() }
        while let last = chars.last, isBlank(last) { chars.removeLast() }
        if chars.count >= 2, chars.first == UInt8(ascii: "["), chars.last == UInt8(ascii: "]") { chars = chars.dropFirst().dropLast() }
        if let zone = chars.firstIndex(of: UInt8(ascii: "%")) { chars = chars[..<zone] }
        let s = chars.map { CChar(bitPattern: $0) } + [0]
        var v4 = in_addr()
        if inet_pton(AF_INET, s, &v4) == 1 {
            self.bytes = withUnsafeBytes(of: &v4) { Array($0) }
            return
        }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, s, &v6) == 1 else { return nil }
        let raw = withUnsafeBytes(of: &v6) { Array($0) }
        if raw[0..<10].allSatisfy({ $0 == 0 }) && raw[10] == 0xFF && raw[11] == 0xFF {
            self.bytes = Array(raw[12...])
        } else {
            self.bytes = raw
        }
    }

    /// An address from its raw 4 or 16 bytes (as certificates carry them).
    public init?(bytes: [UInt8]) {
        guard bytes.count == 4 || bytes.count == 16 else { return nil }
        self.bytes = bytes
    }

    public var isIPv4: Bool { self.bytes.count == 4 }

    /// Loopback, RFC 1918, link-local, CGNAT and IPv6 unique-local addresses.
    public var isPrivate: Bool {
        Self.privateRanges.contains { $0.contains(self) }
    }

    private static let privateRanges = ["127.0.0.0/8", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16",
                                        "100.64.0.0/10", "::1/128", "fc00::/7", "fe80::/10"].map { CIDR($0)! }

    public var description: String {
        var out = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        var copy = self.bytes
        let family = self.isIPv4 ? AF_INET : AF_INET6
        _ = inet_ntop(family, &copy, &out, socklen_t(out.count))
        return String(decoding: out.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// An address range like `10.0.0.0/8` or `fd00::/8`; a bare address is a one-address range.
public struct CIDR: Hashable, Sendable, CustomStringConvertible {
    public let network: IPAddress
    public let prefixLength: Int

    public init?(_ text: some StringProtocol) {
        let parts = text.split(separator: "/", maxSplits: 1)
        guard let first = parts.first, let address = IPAddress(first) else { return nil }
        let maxBits = address.bytes.count * 8
        var length = maxBits
        if parts.count == 2 {
            guard let n = Int(parts[1]), (0...maxBits).contains(n) else { return nil }
            // An IPv4-mapped network written in IPv6 form keeps its IPv4 meaning.
            length = address.isIPv4 && String(first).contains(":") ? max(0, n - 96) : n
        }
        self.network = address
        self.prefixLength = length
    }

    public func contains(_ address: IPAddress) -> Bool {
        guard address.bytes.count == self.network.bytes.count else { return false }
        var remaining = self.prefixLength
        for (a, b) in zip(address.bytes, self.network.bytes) where remaining > 0 {
            let bits = min(8, remaining)
            let mask = UInt8(truncatingIfNeeded: 0xFF << (8 - bits))
            if a & mask != b & mask { return false }
            remaining -= bits
        }
        return true
    }

    public var description: String { "\(self.network)/\(self.prefixLength)" }
}
