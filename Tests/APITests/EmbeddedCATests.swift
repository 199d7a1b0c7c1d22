import Crypto
import Foundation
import Logging
import OrcastraRuntime
import OrcastraTestSupport
import PostgresNIO
import Testing
import X509

@testable import OrcastraAPI

/// The embedded CA against real PostgreSQL; chains checked with swift-certificates' verifier
/// and with `openssl verify`.
@Suite("Embedded certificate authority")
struct EmbeddedCATests {
    static let cipher = try! SecretCipher(masterKey: "0123456789abcdef0123456789abcdef-ca-test-key")

    static func load(_ client: PostgresClient) async throws -> EmbeddedCertificateAuthority {
        try await EmbeddedCertificateAuthority.load(client: client, cipher: Self.cipher, logger: Logger(label: "ca-test"))
    }

    @Test("the CertificateAuthority contract", arguments: CertificateAuthorityContract.cases.map(\.0))
    func contract(name: String) async throws {
        let run = try #require(CertificateAuthorityContract.cases.first { $0.0 == name }?.1)
        try await withMigratedDatabase { client, _ in try await run(Self.load(client)) }
    }

    @Test("created once, on first start, even when two processes start together; keys sealed at rest")
    func createdOnce() async throws {
        try await withMigratedDatabase { client, db in
            let (a, b) = try await (Self.load(client), Self.load(client))
            #expect(a.root == b.root)
            #expect(a.issuer.certificate == b.issuer.certificate)
            #expect(try await db.sql("SELECT count(*) FROM ca_keys") == "2")
            #expect(try await db.sql("SELECT count(*) FROM ca_keys WHERE position('PRIVATE KEY'::bytea in key_ciphertext) > 0") == "0")
            let again = try await Self.load(client)
            #expect(again.root == a.root)
            let info = try await again.info()
            #expect(info.subject.contains("Orcastra Intermediate CA"))
            #expect(info.notAfter > Date().addingTimeInterval(4 * 365 * 86400))
        }
    }

    @Test("an issued client certificate chains to the root with the requested SANs and TTL")
    func issueAndVerify() async throws {
        try await withMigratedDatabase { client, _ in
            let ca = try await Self.load(client)
            let request = try CertificateRequest(commonName: "orcastra-cluster-lab", sans: ["lab.example.net", "127.0.0.1", "::1"], ttl: .seconds(72 * 3600))
            let issued = try await ca.issue(request)
            let leaf = try Certificate(pemEncoded: issued.certificatePEM)
            #expect(leaf.subject.description.contains("CN=orcastra-cluster-lab"))
            let expectedEnd = Date().addingTimeInterval(72 * 3600)
            #expect(abs(leaf.notValidAfter.timeIntervalSince(expectedEnd)) < 120)
            let sans = try #require(try leaf.extensions.subjectAlternativeNames)
            #expect(sans.contains(.dnsName("lab.example.net")))
            #expect(sans.count == 3)
            #expect(try leaf.extensions.extendedKeyUsage?.contains(.clientAuth) == true)
            #expect(try leaf.extensions.basicConstraints == .notCertificateAuthority)
            // The private key matches the certificate.
            let key = try P384.Signing.PrivateKey(pemRepresentation: issued.privateKeyPEM)
            #expect(leaf.publicKey == Certificate.PublicKey(key.publicKey))
            #expect(issued.serial == CertificateBuilder.serial(leaf))

            // swift-certificates' RFC 5280 verifier accepts the chain.
            let intermediate = try Certificate(pemEncoded: issued.chainPEM[0])
            let root = try Certificate(pemEncoded: issued.chainPEM[1])
            var verifier = Verifier(rootCertificates: CertificateStore([root])) { RFC5280Policy() }
            let result = await verifier.validate(leaf: leaf, intermediates: CertificateStore([intermediate]))
            guard case .validCertificate(let chain) = result else {
                Issue.record("chain did not verify: \(result)")
                return
            }
            #expect(chain.count == 3)

            // And so does OpenSSL, as an operator would check it.
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("orc-ca-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: dir) }
            try issued.chainPEM[1].write(to: dir.appendingPathComponent("root.pem"), atomically: true, encoding: .utf8)
            try issued.chainPEM[0].write(to: dir.appendingPathComponent("int.pem"), atomically: true, encoding: .utf8)
            try issued.certificatePEM.write(to: dir.appendingPathComponent("leaf.pem"), atomically: true, encoding: .utf8)
            let openssl = try await Command.run(try Command.which("openssl"), [
                "verify", "-purpose", "sslclient", "-CAfile", dir.appendingPathComponent("root.pem").path,
                "-untrusted", dir.appendingPathComponent("int.pem").path, dir.appendingPathComponent("leaf.pem").path,
            ])
            #expect(openssl.status == 0, "\(openssl.output)\(openssl.error)")
            #expect(openssl.output.contains("leaf.pem: OK"))
            // A certificate from another CA does not pass the same check.
            let stranger = try CertificateBuilder.root(commonName: "Stranger", years: 1)
            try stranger.certificate.serializeAsPEM().pemString.write(to: dir.appendingPathComponent("root.pem"), atomically: true, encoding: .utf8)
            let rejected = try await Command.run(try Command.which("openssl"), [
                "verify", "-CAfile", dir.appendingPathComponent("root.pem").path,
                "-untrusted", dir.appendingPathComponent("int.pem").path, dir.appendingPathComponent("leaf.pem").path,
            ])
            #expect(rejected.status != 0)
        }
    }

    @Test("issued certificates are listed newest first; revocation is recorded once")
    func listAndRevoke() async throws {
        try await withMigratedDatabase { client, _ in
            let ca = try await Self.load(client)
            let first = try await ca.issue(try CertificateRequest(commonName: "one", ttl: .seconds(3600)))
            let second = try await ca.issue(try CertificateRequest(commonName: "two", sans: ["two.local"], ttl: .seconds(3600), usage: .server))
            let listed = try await ca.list()
            #expect(listed.map(\.serial) == [second.serial, first.serial] || Set(listed.map(\.serial)) == [first.serial, second.serial])
            #expect(listed.allSatisfy { $0.revokedAt == nil })
            let revoked = try await ca.revoke(serial: first.serial)
            let revokedAt = try #require(revoked.revokedAt)
            #expect(try await ca.revoke(serial: first.serial).revokedAt == revokedAt)
            #expect(try await ca.list().first { $0.serial == first.serial }?.revokedAt != nil)
            await #expect(throws: CertificateAuthorityError.unknownSerial("00:11")) { try await ca.revoke(serial: "00:11") }
        }
    }

    @Test("requests outside the role's limits are refused", arguments: [
        ("", ["a.example"], 3600, "common_name must be 1 to 64 characters on one line"),
        ("ok", ["not a name"], 3600, "'not a name' is neither a DNS name nor an IP address"),
        ("ok", [], 0, "ttl must be positive and at most 8760 hours"),
        ("ok", [], 8761 * 3600, "ttl must be positive and at most 8760 hours"),
    ])
    func invalidRequests(cn: String, sans: [String], seconds: Int, message: String) {
        #expect(throws: CertificateRequestError.invalid(message)) {
            try CertificateRequest(commonName: cn, sans: sans, ttl: .seconds(seconds))
        }
    }
}
