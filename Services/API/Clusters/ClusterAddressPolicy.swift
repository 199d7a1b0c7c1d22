import Foundation
import OrcastraRuntime
#if canImport(Glibc)
import Glibc
#endif

/// Which server addresses a registration may connect to, so that registering a cluster cannot
/// be used to probe the API's own network.
///
/// For callers that are not admins: loopback, link-local, multicast, unspecified, reserved and
/// cloud-metadata addresses are always refused; private ranges (RFC 1918, CGNAT, IPv6
/// unique-local) are refused unless `CLUSTER_ALLOWED_CIDRS` contains them. Host names are
/// resolved first and every address they resolve to must pass, and registration then connects
/// to the checked address itself, so a DNS answer that changes between check and connection
/// (rebinding) cannot slip through. Admins (and the system) may register any address: the
/// development test bed lives on loopback.
struct ClusterAddressPolicy: Sendable {
    /// Ranges the operator allows although they are private (`CLUSTER_ALLOWED_CIDRS`).
    var allowed: [CIDR] = []
    /// Ranges no non-admin may reach; tests that let a partner register the loopback test bed
    /// take loopback out of this list in code (no setting does).
    var refused: [CIDR] = Self.alwaysRefused

    static let alwaysRefused: [CIDR] = [
        "0.0.0.0/8", "127.0.0.0/8", "169.254.0.0/16", "224.0.0.0/4", "240.0.0.0/4", "255.255.255.255/32",
        "::/128", "::1/128", "fe80::/10", "ff00::/8", "fd00:ec2::254/128",
        // IPv4-compatible IPv6 (deprecated) would carry any IPv4 address past the checks above.
        "::/96",
    ].map { CIDR($0)! }

    static let privateRanges: [CIDR] = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7"].map { CIDR($0)! }

    /// NAT64 addresses reach the IPv4 address in their last four bytes, which is checked instead.
    static let nat64 = CIDR("64:ff9b::/96")!

    init(allowed: [CIDR] = [], refused: [CIDR] = Self.alwaysRefused) {
        self.allowed = allowed
        self.refused = refused
    }

    init(settings: Settings) throws(ConfigError) {
        for entry in settings.list("CLUSTER_ALLOWED_CIDRS", default: []) {
            guard let cidr = CIDR(entry) else {
                throw ConfigError("CLUSTER_ALLOWED_CIDRS", "has '\(entry)', which is not an address or CIDR range")
            }
            self.allowed.append(cidr)
        }
    }

    /// Why a non-admin may not connect to `address`, or nil when they may. The cloud-metadata
    /// addresses fall in the link-local and unique-local ranges, and an allowed CIDR never
    /// lifts an always-refused range.
    func refusal(_ address: IPAddress) -> String? {
        if Self.nat64.contains(address), let embedded = IPAddress(bytes: Array(address.bytes.suffix(4))) {
            return self.refusal(embedded)
        }
        if self.refused.contains(where: { $0.contains(address) }) {
            return "loopback, link-local, multicast, unspecified, reserved and cloud-metadata addresses cannot be registered"
        }
        if Self.privateRanges.contains(where: { $0.contains(address) }), !self.allowed.contains(where: { $0.contains(address) }) {
            return "private addresses cannot be registered unless the operator allows their range (CLUSTER_ALLOWED_CIDRS)"
        }
        return nil
    }

    /// `host:port` resolved to `ip:port` targets (IPv6 in brackets), in resolver order, each
    /// checked when `checked`; nil host part or no address is a `ClusterError.unreachable`.
    func resolve(_ address: String, checked: Bool) throws -> [Target] {
        let (host, port) = try PinnedHTTPS.split(address)
        let ips = try Self.lookup(host)
        return try ips.map { ip in
            if checked, let why = self.refusal(ip) { throw Refused(address: address, reason: why) }
            return Target(ip: ip, port: port)
        }
    }

    /// One checked address to connect to.
    struct Target: Sendable, Equatable, CustomStringConvertible {
        var ip: IPAddress
        var port: Int
        var description: String { self.ip.isIPv4 ? "\(self.ip):\(self.port)" : "[\(self.ip)]:\(self.port)" }
    }

    /// A non-admin named an address the policy refuses.
    struct Refused: Error, CustomStringConvertible {
        var address: String
        var reason: String
        var description: String { "\(self.address): \(self.reason)" }
    }

    /// Every address `host` resolves to (a literal address is itself), without duplicates.
    static func lookup(_ host: String) throws -> [IPAddress] {
        if let literal = IPAddress(host) { return [literal] }
        guard !host.isEmpty, host.count <= 253 else { throw ClusterError.unreachable("'\(host)' is not a host name") }
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, nil, &hints, &list)
        guard status == 0, let first = list else {
            throw ClusterError.unreachable("\(host): \(String(cString: gai_strerror(status)))")
        }
        defer { freeaddrinfo(first) }
        var found: [IPAddress] = []
        var next: UnsafeMutablePointer<addrinfo>? = first
        while let entry = next {
            if let sockaddr = entry.pointee.ai_addr {
                let ip: IPAddress? = switch entry.pointee.ai_family {
                case AF_INET: sockaddr.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { pointer in
                    withUnsafeBytes(of: pointer.pointee.sin_addr) { IPAddress(bytes: Array($0)) }
                }
                case AF_INET6: sockaddr.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { pointer in
                    withUnsafeBytes(of: pointer.pointee.sin6_addr) { IPAddress(Self.text(Array($0))) }
                }
                default: nil
                }
                if let ip, !found.contains(ip) { found.append(ip) }
            }
            next = entry.pointee.ai_next
        }
        guard !found.isEmpty else { throw ClusterError.unreachable("\(host) has no address") }
        return found
    }

    /// IPv6 bytes as text, so `IPAddress` folds IPv4-mapped addresses as it does everywhere.
    private static func text(_ bytes: [UInt8]) -> String {
        stride(from: 0, to: 16, by: 2).map { String(Int(bytes[$0]) << 8 | Int(bytes[$0 + 1]), radix: 16) }.joined(separator: ":")
    }
}
