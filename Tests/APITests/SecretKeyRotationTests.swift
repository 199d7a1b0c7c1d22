import Foundation
import Logging
import OrcastraTestSupport
import Testing

@testable import OrcastraAPI

/// Rotating the embedded backends' master key against real PostgreSQL.
@Suite("Secret key rotation")
struct SecretKeyRotationTests {
    static let oldKey = try! SecretCipher(masterKey: "old-master-key-0123456789abcdef0123456789")
    static let newKey = try! SecretCipher(masterKey: "new-master-key-0123456789abcdef0123456789")
    static let logger = Logger(label: "rotation-test")

    @Test("everything sealed with the old key is re-sealed with the new one, once")
    func rotates() async throws {
        try await withMigratedDatabase { client, db in
            let before = EmbeddedSecretStore(client: client, cipher: Self.oldKey, logger: Self.logger)
            try await before.write(try SecretPath("clusters/a"), data: ["v": "1"], cas: nil)
            try await before.write(try SecretPath("clusters/a"), data: ["v": "2"], cas: nil)
            try await before.write(try SecretPath("integrations/b"), data: ["token": "t"], cas: nil)
            let ca = try await EmbeddedCertificateAuthority.load(client: client, cipher: Self.oldKey, logger: Self.logger)

            let rotation = SecretKeyRotation(client: client, previous: Self.oldKey, current: Self.newKey, logger: Self.logger)
            #expect(try await rotation.run() == .init(secretVersions: 3, caKeys: 2))
            #expect(try await rotation.run() == .init(secretVersions: 0, caKeys: 0))

            let after = EmbeddedSecretStore(client: client, cipher: Self.newKey, logger: Self.logger)
            #expect(try await after.read(try SecretPath("clusters/a"))?.data == ["v": "2"])
            #expect(try await after.read(try SecretPath("integrations/b"))?.data == ["token": "t"])
            await #expect(throws: SecretStoreError.corrupted(path: "clusters/a")) { try await before.read(try SecretPath("clusters/a")) }
            let reloaded = try await EmbeddedCertificateAuthority.load(client: client, cipher: Self.newKey, logger: Self.logger)
            #expect(reloaded.root == ca.root)
            #expect(try await db.sql("SELECT count(DISTINCT key_id) FROM secret_versions") == "1")
        }
    }

    @Test("a row sealed with an unknown key stops the rotation and changes nothing")
    func unknownKey() async throws {
        try await withMigratedDatabase { client, db in
            let stranger = try SecretCipher(masterKey: "some-other-key-0123456789abcdef0123456789")
            try await EmbeddedSecretStore(client: client, cipher: Self.oldKey, logger: Self.logger)
                .write(try SecretPath("clusters/a"), data: ["v": "1"], cas: nil)
            try await EmbeddedSecretStore(client: client, cipher: stranger, logger: Self.logger)
                .write(try SecretPath("clusters/z"), data: ["v": "9"], cas: nil)
            let rotation = SecretKeyRotation(client: client, previous: Self.oldKey, current: Self.newKey, logger: Self.logger)
            await #expect(throws: SecretKeyRotation.UnknownKey.self) { try await rotation.run() }
            #expect(try await db.sql("SELECT key_id FROM secret_versions WHERE path = 'clusters/a'") == Self.oldKey.keyID)
        }
    }
}
