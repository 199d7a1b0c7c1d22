import Foundation
import Logging
import OrcastraRuntime
import OrcastraTestSupport
import PostgresNIO
import Testing

@testable import OrcastraAPI

/// The embedded store against real PostgreSQL: the shared contract, then what only a store
/// that keeps ciphertext in a table must also get right.
@Suite("Embedded secret store")
struct EmbeddedSecretStoreTests {
    static let key = "0123456789abcdef0123456789abcdef-test-master-key"

    /// A fresh database with the migrations applied, and a store on it.
    func withStore(key: String = Self.key, _ body: @Sendable (EmbeddedSecretStore, TestDatabase) async throws -> Void) async throws {
        try await withMigratedDatabase { client, db in
            try await body(EmbeddedSecretStore(client: client, cipher: try SecretCipher(masterKey: key), logger: Logger(label: "secrets-test")), db)
        }
    }

    @Test("the SecretStore contract", arguments: SecretStoreContract.cases.map(\.0))
    func contract(name: String) async throws {
        let run = try #require(SecretStoreContract.cases.first { $0.0 == name }?.1)
        try await self.withStore { store, _ in try await run(store) }
    }

    @Test("values are stored encrypted, never in clear")
    func encryptedAtRest() async throws {
        try await self.withStore { store, db in
            try await store.write(try SecretPath("orcastra/app"), data: ["password": "plain-text-marker"], cas: nil)
            let hex = try await db.sql("SELECT encode(ciphertext, 'hex') FROM secret_versions WHERE path = 'orcastra/app'")
            #expect(!hex.isEmpty)
            #expect(!hex.contains(Hex.encode(Data("plain-text-marker".utf8))))
            #expect(try await db.sql("SELECT key_id FROM secret_versions") == store.cipher.keyID)
        }
    }

    @Test("a flipped byte in the ciphertext is detected")
    func flippedByte() async throws {
        try await self.withStore { store, db in
            let p = try SecretPath("clusters/c1")
            try await store.write(p, data: ["key": "value"], cas: nil)
            try await db.sql("UPDATE secret_versions SET ciphertext = set_byte(ciphertext, 20, get_byte(ciphertext, 20) # 1) WHERE path = 'clusters/c1'")
            await #expect(throws: SecretStoreError.corrupted(path: "clusters/c1")) { try await store.read(p) }
        }
    }

    @Test("a ciphertext moved to another path or version is detected")
    func movedRow() async throws {
        try await self.withStore { store, db in
            try await store.write(try SecretPath("clusters/a"), data: ["who": "a"], cas: nil)
            try await store.write(try SecretPath("clusters/b"), data: ["who": "b"], cas: nil)
            try await db.sql("UPDATE secret_versions SET ciphertext = (SELECT ciphertext FROM secret_versions WHERE path = 'clusters/a') WHERE path = 'clusters/b'")
            await #expect(throws: SecretStoreError.corrupted(path: "clusters/b")) { try await store.read(try SecretPath("clusters/b")) }
            #expect(try await store.read(try SecretPath("clusters/a"))?.data == ["who": "a"])
        }
    }

    @Test("another master key cannot read the values")
    func wrongKey() async throws {
        try await self.withStore { store, _ in
            let p = try SecretPath("integrations/slack")
            try await store.write(p, data: ["token": "t"], cas: nil)
            let other = EmbeddedSecretStore(client: store.client, cipher: try SecretCipher(masterKey: String(repeating: "z", count: 40)), logger: store.logger)
            await #expect(throws: SecretStoreError.corrupted(path: "integrations/slack")) { try await other.read(p) }
        }
    }

    @Test("concurrent writers get distinct, gapless versions")
    func concurrentWrites() async throws {
        try await self.withStore { store, _ in
            let p = try SecretPath("orcastra/counter")
            let versions = try await withThrowingTaskGroup(of: Int.self) { group in
                for i in 0..<20 { group.addTask { try await store.write(p, data: ["i": String(i)], cas: nil) } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(versions.sorted() == Array(1...20))
        }
    }

    @Test("paths outside the known roots or with bad segments are refused", arguments: [
        "secret/data/clusters/x", "clusters/../orcastra", "clusters//x", "clusters/a b", "", "my_keys/ü",
    ])
    func invalidPaths(text: String) {
        #expect(throws: SecretPathError.self) { try SecretPath(text) }
    }

    @Test("a short master key is refused")
    func weakKey() {
        #expect(throws: SecretCipher.CipherError.weakKey) { try SecretCipher(masterKey: "short") }
    }
}
