import Foundation
import Testing

@testable import OrcastraAPI

/// Trust tokens as LXD prints them. The first fixture is verbatim output of
/// `lxc config trust add --name …` from LXD 5.0.2 (Debian 12) on the project's test bed.
@Suite("LXD trust tokens")
struct TrustTokenTests {
    static let lxd502 = "eyJjbGllbnRfbmFtZSI6Im9yY2FzdHJhLTE3OTYwMDczNTA4ODQwOTM5MTciLCJmaW5nZXJwcmludCI6ImY3OTk0Nzg3Yjk3ZTM0M2QxMmVjMWMyNmU5NzgzMmE1ZDEzYTIwMTgyZTMwYTU4MDlmZWIyYmVjMjkyZTRmNzAiLCJhZGRyZXNzZXMiOlsiMTI3LjAuMC4xOjE4NDQzIl0sInNlY3JldCI6ImFiYzFiNzc2MjM3YmE0NDU5MDI5ODBlNmE0NDFiMGQ0NWI2NTNhNDFmZjI5YjQ4NDA2MWJkZWE4ZjY5OWIyMTciLCJleHBpcmVzX2F0IjoiMDAwMS0wMS0wMVQwMDowMDowMFoifQ=="

    static func token(_ fields: [String: Any]) throws -> String {
        try JSONSerialization.data(withJSONObject: fields).base64EncodedString()
    }

    @Test("LXD 5.0.2's token decodes: fingerprint, address, secret, no expiry; the raw text is kept")
    func lxdToken() throws {
        let token = try TrustToken(Self.lxd502 + "\n")
        #expect(token.fingerprint == "f7994787b97e343d12ec1c26e97832a5d13a20182e30a5809feb2bec292e4f70")
        #expect(token.addresses == ["127.0.0.1:18443"])
        #expect(token.secret.count == 64)
        #expect(token.clientName.hasPrefix("orcastra-"))
        #expect(token.expiresAt == nil)
        #expect(!token.isExpired())
        #expect(token.raw == Self.lxd502)
    }

    @Test("an expiry in the past is expired; one in the future is not")
    func expiry() throws {
        let base: [String: Any] = ["client_name": "x", "fingerprint": String(repeating: "ab", count: 32), "addresses": ["10.0.0.1:8443"], "secret": "s"]
        let past = try TrustToken(try Self.token(base.merging(["expires_at": "2020-01-01T00:00:00Z"]) { $1 }))
        #expect(past.isExpired())
        let future = try TrustToken(try Self.token(base.merging(["expires_at": "2099-01-01T00:00:00.123456Z"]) { $1 }))
        #expect(!future.isExpired())
    }

    @Test("malformed tokens are refused, each saying what is wrong", arguments: [
        ("", "empty"), ("not base64 at all!", "base64 of JSON"),
        (Data("{\"secret\":\"s\"}".utf8).base64EncodedString(), "fingerprint"),
        (Data("{\"fingerprint\":\"\(String(repeating: "a", count: 64))\",\"addresses\":[\"h:1\"]}".utf8).base64EncodedString(), "secret"),
        (Data("{\"fingerprint\":\"\(String(repeating: "a", count: 64))\",\"secret\":\"s\",\"addresses\":[\"nohost\"]}".utf8).base64EncodedString(), "address"),
        (Data("{\"fingerprint\":\"\(String(repeating: "a", count: 64))\",\"secret\":\"s\",\"addresses\":[\"h:1\"],\"expires_at\":\"soon\"}".utf8).base64EncodedString(), "expiry"),
    ])
    func malformed(text: String, mentions: String) {
        do {
            _ = try TrustToken(text)
            Issue.record("accepted \(text)")
        } catch {
            #expect(error.description.contains(mentions), "\(error.description)")
        }
    }
}
