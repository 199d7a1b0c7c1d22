import Foundation
import Testing

@testable import OrcastraAPI

/// The behaviour every `SecretStore` backend must have. Each backend's suite runs all of these
/// against its own store, so the embedded store and Vault cannot drift apart.
enum SecretStoreContract {
    static let cases: [(String, @Sendable (any SecretStore) async throws -> Void)] = [
        ("round trip", roundTrip),
        ("versions", versions),
        ("compare-and-set", compareAndSet),
        ("list", list),
        ("delete", delete),
    ]

    static func path(_ text: String) -> SecretPath { try! SecretPath(text) }

    static func roundTrip(_ store: any SecretStore) async throws {
        let p = path("clusters/\(UUID().uuidString)")
        #expect(try await store.read(p) == nil)
        let data = ["certificate": "-----BEGIN CERTIFICATE-----\nMIIB…\n", "note": "ünïcødé ✓", "empty": ""]
        #expect(try await store.write(p, data: data, cas: nil) == 1)
        let read = try #require(try await store.read(p))
        #expect(read.data == data)
        #expect(read.version == 1)
        #expect(abs(read.createdAt.timeIntervalSinceNow) < 60)
    }

    static func versions(_ store: any SecretStore) async throws {
        let p = path("integrations/\(UUID().uuidString)")
        for n in 1...3 { #expect(try await store.write(p, data: ["n": String(n)], cas: nil) == n) }
        let read = try #require(try await store.read(p))
        #expect(read.version == 3)
        #expect(read.data == ["n": "3"])
    }

    static func compareAndSet(_ store: any SecretStore) async throws {
        let p = path("orcastra/\(UUID().uuidString)")
        #expect(try await store.write(p, data: ["a": "1"], cas: 0) == 1)
        await #expect(throws: SecretStoreError.versionConflict(expected: 0, current: 1)) {
            try await store.write(p, data: ["a": "2"], cas: 0)
        }
        await #expect(throws: SecretStoreError.versionConflict(expected: 5, current: 1)) {
            try await store.write(p, data: ["a": "2"], cas: 5)
        }
        #expect(try await store.write(p, data: ["a": "2"], cas: 1) == 2)
        #expect(try await store.read(p)?.data == ["a": "2"])
    }

    static func list(_ store: any SecretStore) async throws {
        let user = "u\(UUID().uuidString.prefix(8))"
        #expect(try await store.list(path("my_keys/\(user)")) == [])
        try await store.write(path("my_keys/\(user)/laptop"), data: ["k": "1"], cas: nil)
        try await store.write(path("my_keys/\(user)/desk"), data: ["k": "2"], cas: nil)
        try await store.write(path("my_keys/\(user)/old/one"), data: ["k": "3"], cas: nil)
        #expect(try await store.list(path("my_keys/\(user)")) == ["desk", "laptop", "old/"])
        #expect(try await store.list(path("my_keys/\(user)/old")) == ["one"])
    }

    static func delete(_ store: any SecretStore) async throws {
        let p = path("clusters/\(UUID().uuidString)")
        try await store.write(p, data: ["x": "1"], cas: nil)
        try await store.write(p, data: ["x": "2"], cas: nil)
        try await store.delete(p)
        #expect(try await store.read(p) == nil)
        // A fresh write after delete starts again at version 1, as after Vault's metadata delete.
        #expect(try await store.write(p, data: ["x": "3"], cas: 0) == 1)
    }
}
