import Foundation
import OrcastraTestSupport
import Testing

@testable import OrcastraAPI

/// SSH keys are bounded: a comment of at most 1 KiB, at most 50 keys per user.
@Suite("User SSH key bounds")
struct UserKeyBoundsTests {
    /// A valid Ed25519 public key line with fresh key bytes.
    static func ed25519(comment: String? = nil) -> String {
        func string(_ bytes: [UInt8]) -> [UInt8] {
            withUnsafeBytes(of: UInt32(bytes.count).bigEndian) { Array($0) } + bytes
        }
        let blob = string(Array("ssh-ed25519".utf8)) + string((0..<32).map { _ in UInt8.random(in: 0...255) })
        return "ssh-ed25519 " + Data(blob).base64EncodedString() + (comment.map { " " + $0 } ?? "")
    }

    @Test("a comment of 1 KiB is kept; one byte more is refused, saying so")
    func commentBound() throws {
        #expect(try SSHPublicKey(parsing: Self.ed25519(comment: String(repeating: "c", count: 1024))).comment?.utf8.count == 1024)
        #expect(throws: SSHKeyError.self) { try SSHPublicKey(parsing: Self.ed25519(comment: String(repeating: "c", count: 1025))) }
        do {
            _ = try SSHPublicKey(parsing: Self.ed25519(comment: String(repeating: "é", count: 600)))
            Issue.record("a 1200-byte comment was accepted")
        } catch {
            #expect(error.description.contains("at most 1024 bytes"), "\(error.description)")
        }
    }

    @Test("a user keeps at most 50 keys: the 51st is a 409 and nothing is written; removing one makes room")
    func countBound() async throws {
        try await AuthHarness.run { h, client in
            let alice = try h.issuer.token(h.issuer.claims(subject: "alice", groups: ["role_tenant"]))
            var last = ""
            for n in 1...50 {
                let (status, data) = try await client.call(.post, "/api/v1/me/keys", bearer: alice, json: #"{"name":"k\#(n)","public_key":"\#(Self.ed25519())"}"#)
                #expect(status == .created, "\(n): \(String(decoding: data, as: UTF8.self))")
                last = try #require(try JSONValue.parse(String(decoding: data, as: UTF8.self))["id"]?.string)
            }
            let (refused, body) = try await client.call(.post, "/api/v1/me/keys", bearer: alice, json: #"{"name":"k51","public_key":"\#(Self.ed25519())"}"#)
            #expect(refused == .conflict)
            #expect(body.errorCode == "key_limit_reached")
            let (_, page) = try await client.call(.get, "/api/v1/me/keys?limit=500", bearer: alice)
            #expect(try JSONValue.parse(String(decoding: page, as: UTF8.self))["items"]?.items?.count == 50)

            #expect(try await client.call(.delete, "/api/v1/me/keys/\(last)", bearer: alice).0 == .noContent)
            #expect(try await client.call(.post, "/api/v1/me/keys", bearer: alice, json: #"{"name":"k51","public_key":"\#(Self.ed25519())"}"#).0 == .created)
        }
    }
}
