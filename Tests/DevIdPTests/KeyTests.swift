import Foundation
import HummingbirdTesting
import OrcastraRuntime
import OrcastraTestSupport
import Testing

@testable import OrcastraDevIdP

@Suite("Signing keys")
struct KeyTests {
    static func scratch() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("devidp-key-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    @Test("DEVIDP_KEY_FILE is created owner-only on first start and reused afterwards, so tokens survive a restart")
    func keyFile() async throws {
        let path = try Self.scratch().appendingPathComponent("signing.pem").path
        var config = Fixture.config()
        config.keyFile = path
        let first = try KeyRing(keyFile: path)
        let mode = try #require(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)
        #expect(mode.intValue & 0o777 == 0o600)
        #expect(try String(contentsOfFile: path, encoding: .utf8).contains("PRIVATE KEY-----"))
        let second = try KeyRing(keyFile: path)
        #expect(first.key.kid == second.key.kid)

        // A token from the first run opens userinfo in the second.
        let tokens = try await buildApplication(config: config, sink: LogSink(.memory)).test(.router) { client in
            try await client.tokens()
        }
        let status = try await buildApplication(config: config, sink: LogSink(.memory)).test(.router) { client in
            try await client.get("/application/o/userinfo/", headers: [.authorization: "Bearer \(tokens.access_token)"]).status
        }
        #expect(status == .ok)
    }

    @Test("a key file that is not an RSA key is a configuration error")
    func badKeyFile() throws {
        let path = try Self.scratch().appendingPathComponent("bad.pem").path
        try Data("not a key".utf8).write(to: URL(fileURLWithPath: path))
        #expect(throws: ConfigError("DEVIDP_KEY_FILE", "names \(path), which is not a PEM RSA private key of at least 2048 bits")) {
            try KeyRing(keyFile: path)
        }
    }

    @Test("the kid is derived from the public key and rotation changes it")
    func kid() throws {
        let ring = KeyRing(key: try SigningKey.generate())
        let before = ring.key
        let copy = try SigningKey(privateKey: before.privateKey)
        #expect(copy.kid == before.kid)
        #expect(copy.jwk == before.jwk)
        let after = try ring.rotate()
        #expect(after.kid != before.kid)
        #expect(ring.jwks.keys == [after.jwk])
    }
}
