import OrcastraRuntime
import Testing

@Suite("Client address resolution (security rules 10 and 18)")
struct ClientIPTests {
    let policy = ClientIPPolicy(trustedProxies: [CIDR("10.0.0.0/8")!, CIDR("127.0.0.1")!])

    func headers(_ values: [String: String]) -> (String) -> String? { { values[$0] } }

    @Test("a direct connection ignores forwarding headers entirely")
    func directConnection() {
        let r = self.policy.resolve(peer: "203.0.113.9", header: self.headers(["x-forwarded-for": "1.2.3.4", "x-real-ip": "5.6.7.8"]))
        #expect(r == ResolvedClient(ip: "203.0.113.9", proxyIP: nil, source: "peer", proxyTrusted: false))
    }

    @Test("X-Forwarded-For is walked from the right, skipping trusted proxies")
    func walkFromRight() {
        let r = self.policy.resolve(peer: "10.0.0.2", header: self.headers(["x-forwarded-for": "6.6.6.6, 198.51.100.7, 10.1.1.1"]))
        #expect(r == ResolvedClient(ip: "198.51.100.7", proxyIP: "10.0.0.2", source: "x-forwarded-for", proxyTrusted: true))
    }

    @Test("headers the operator lists are tried in the order listed")
    func headerOrder() {
        let cloudflare = ClientIPPolicy(trustedProxies: [CIDR("127.0.0.1")!], headers: ["cf-connecting-ip", "x-forwarded-for"])
        let r = cloudflare.resolve(peer: "127.0.0.1", header: self.headers(["cf-connecting-ip": "198.51.100.1", "x-forwarded-for": "198.51.100.2"]))
        #expect(r.ip == "198.51.100.1")
        #expect(r.source == "cf-connecting-ip")
        let reversed = ClientIPPolicy(trustedProxies: [CIDR("127.0.0.1")!], headers: ["x-forwarded-for", "cf-connecting-ip"])
        #expect(reversed.resolve(peer: "127.0.0.1", header: self.headers(["cf-connecting-ip": "198.51.100.1", "x-forwarded-for": "198.51.100.2"])).ip == "198.51.100.2")
    }

    @Test("18: by default only X-Forwarded-For is read: CF-Connecting-IP, True-Client-IP and X-Real-IP a client sent through a proxy are ignored")
    func unlistedHeadersIgnored() {
        #expect(ClientIPPolicy.defaultHeaders == ["x-forwarded-for"])
        let forged = ["cf-connecting-ip": "6.6.6.6", "true-client-ip": "6.6.6.7", "cf-connecting-ipv6": "2001:db8::666", "x-real-ip": "6.6.6.8"]
        let r = self.policy.resolve(peer: "10.0.0.2", header: self.headers(forged.merging(["x-forwarded-for": "6.6.6.9, 198.51.100.7"]) { $1 }))
        #expect(r == ResolvedClient(ip: "198.51.100.7", proxyIP: "10.0.0.2", source: "x-forwarded-for", proxyTrusted: true))
        let only = self.policy.resolve(peer: "10.0.0.2", header: self.headers(forged))
        #expect(only == ResolvedClient(ip: "10.0.0.2", proxyIP: nil, source: "peer", proxyTrusted: true))
    }

    @Test("garbage in a header falls back to the peer")
    func garbage() {
        let r = self.policy.resolve(peer: "10.0.0.2", header: self.headers(["x-forwarded-for": "<script>"]))
        #expect(r == ResolvedClient(ip: "10.0.0.2", proxyIP: nil, source: "peer", proxyTrusted: true))
    }

    @Test("private forwarded addresses are refused when configured so")
    func privateForwarded() {
        let strict = ClientIPPolicy(trustedProxies: [CIDR("10.0.0.0/8")!], allowPrivateForwarded: false)
        let r = strict.resolve(peer: "10.0.0.2", header: self.headers(["x-forwarded-for": "192.168.1.5"]))
        #expect(r.ip == "10.0.0.2")
    }

    @Test("IPv6 and IPv4-mapped addresses")
    func ipv6() {
        #expect(CIDR("2001:db8::/32")!.contains(IPAddress("2001:db8::1")!))
        #expect(!CIDR("2001:db8::/32")!.contains(IPAddress("2001:db9::1")!))
        #expect(CIDR("127.0.0.1")!.contains(IPAddress("::ffff:127.0.0.1")!))
        #expect(IPAddress("::ffff:10.1.2.3")!.description == "10.1.2.3")
        #expect(IPAddress("[::1]")!.isPrivate)
        #expect(IPAddress("not-an-ip") == nil)
        #expect(CIDR("10.0.0.0/40") == nil)
    }
}
