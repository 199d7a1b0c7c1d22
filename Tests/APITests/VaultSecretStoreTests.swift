import AsyncHTTPClient
import Foundation
import Hummingbird
import NIOCore
import HummingbirdTesting
import OrcastraTestSupport
import Testing

@testable import OrcastraAPI

/// The Vault backend against `FakeVault`: the same contract as the embedded store, then
/// Vault's own failure modes.
@Suite("Vault secret store")
struct VaultSecretStoreTests {
    /// Runs a live fake Vault and gives `body` a store and client pointed at it. The generous
    /// default timeout is for the fake, which signs P-384 certificates in an unoptimised build.
    func withVault(token: String = "test-root-token", timeout: TimeAmount = .seconds(30),
                   _ body: @Sendable (VaultSecretStore, FakeVault) async throws -> Void) async throws {
        let fake = FakeVault()
        let app = Application(router: fake.router(), configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            let vault = VaultClient(http: .shared, address: "http://127.0.0.1:\(client.port!)", token: token, timeout: timeout)
            try await body(VaultSecretStore(vault: vault), fake)
        }
    }

    @Test("the SecretStore contract", arguments: SecretStoreContract.cases.map(\.0))
    func contract(name: String) async throws {
        let run = try #require(SecretStoreContract.cases.first { $0.0 == name }?.1)
        try await self.withVault { store, _ in try await run(store) }
    }

    @Test("an empty LIST (404 without errors) is an empty list")
    func emptyList() async throws {
        try await self.withVault { store, _ async throws in
            #expect(try await store.list(try SecretPath("clusters")) == [])
        }
    }

    @Test("a policy denial is 403 → denied, naming only the path")
    func policyDenied() async throws {
        try await self.withVault { store, fake async throws in
            fake.deny("secret/data/orcastra")
            await #expect(throws: SecretStoreError.denied(path: "secret/data/orcastra/app")) {
                try await store.write(try SecretPath("orcastra/app"), data: ["k": "v"], cas: nil)
            }
            // Other paths stay usable.
            #expect(try await store.write(try SecretPath("clusters/x"), data: ["k": "v"], cas: nil) == 1)
        }
    }

    @Test("a wrong token is denied")
    func wrongToken() async throws {
        try await self.withVault(token: "not-the-token") { store, _ async throws in
            await #expect(throws: SecretStoreError.self) { try await store.read(try SecretPath("clusters/x")) }
        }
    }

    @Test("a sealed Vault answers 503 → vault_sealed; unsealed, it works again")
    func sealed() async throws {
        try await self.withVault { store, fake async throws in
            try await store.write(try SecretPath("clusters/a"), data: ["k": "v"], cas: nil)
            fake.mode = .sealed
            do {
                _ = try await store.read(try SecretPath("clusters/a"))
                Issue.record("read from a sealed Vault succeeded")
            } catch SecretStoreError.unavailable(let code, let message) {
                #expect(code == "vault_sealed")
                #expect(message.contains("sealed"))
            }
            fake.mode = .active
            #expect(try await store.read(try SecretPath("clusters/a"))?.data == ["k": "v"])
        }
    }

    @Test("sys/health is read into a state", arguments: [
        (FakeVault.Mode.active, VaultState.active), (.standby, .standby), (.sealed, .sealed), (.uninitialized, .uninitialized),
    ])
    func health(mode: FakeVault.Mode, expected: VaultState) async throws {
        try await self.withVault { store, fake async throws in
            fake.mode = mode
            #expect(await store.vault.health() == expected)
        }
    }

    @Test("an unreachable Vault is vault_unreachable, quickly")
    func unreachable() async throws {
        let vault = VaultClient(http: .shared, address: "http://127.0.0.1:\(try Command.freePort())", token: "t", timeout: .seconds(2))
        #expect(await vault.health() == .unreachable)
        await #expect(throws: SecretStoreError.unavailable(code: "vault_unreachable", message: "Vault at \(vault.address) is unreachable.")) {
            try await VaultSecretStore(vault: vault).read(try SecretPath("clusters/x"))
        }
    }

    @Test("a Vault slower than the timeout is vault_unreachable, not a hang")
    func timeout() async throws {
        try await self.withVault(timeout: .milliseconds(300)) { store, fake async throws in
            fake.setDelay(.seconds(8))
            await #expect(throws: SecretStoreError.unavailable(code: "vault_unreachable", message: "Vault at \(store.vault.address) is unreachable.")) {
                try await store.read(try SecretPath("clusters/slow"))
            }
            // The client gave up before Vault answered: no answer has gone out yet.
            #expect(fake.answered == 0)
        }
    }

    @Test("the CertificateAuthority contract on Vault's PKI engine", arguments: CertificateAuthorityContract.cases.map(\.0))
    func caContract(name: String) async throws {
        let run = try #require(CertificateAuthorityContract.cases.first { $0.0 == name }?.1)
        try await self.withVault { store, _ async throws in
            try await run(VaultCertificateAuthority(vault: store.vault, store: store, role: "lxd"))
        }
    }

    @Test("Vault keeps no issued key, so it is stored in KV beside the certificate")
    func issuedKeyStored() async throws {
        try await self.withVault { store, _ async throws in
            let ca = VaultCertificateAuthority(vault: store.vault, store: store, role: "lxd")
            let issued = try await ca.issue(try CertificateRequest(commonName: "keep-my-key", ttl: .seconds(3600)))
            let kept = try #require(try await store.read(try VaultCertificateAuthority.keyPath(issued.serial)))
            #expect(kept.data["private_key"] == issued.privateKeyPEM)
            #expect(kept.data["certificate"] == issued.certificatePEM)
        }
    }

    @Test("an unknown PKI role is an error, not a crash")
    func unknownRole() async throws {
        try await self.withVault { store, _ async throws in
            let ca = VaultCertificateAuthority(vault: store.vault, store: store, role: "nope")
            await #expect(throws: SecretStoreError.self) { try await ca.issue(try CertificateRequest(commonName: "x", ttl: .seconds(3600))) }
        }
    }

    @Test("Vault's nanosecond timestamps are read")
    func timestamps() {
        let date = VaultSecretStore.date("2018-03-22T02:24:06.945319214Z")
        #expect(date.map { abs($0.timeIntervalSince1970 - 1_521_685_446.945) < 0.001 } == true)
    }
}
