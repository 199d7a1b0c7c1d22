import Crypto
import Foundation
import Testing
import X509

@testable import OrcastraAPI

/// The behaviour every `CertificateAuthority` backend must have, run by each backend's suite.
enum CertificateAuthorityContract {
    static let cases: [(String, @Sendable (any CertificateAuthority) async throws -> Void)] = [
        ("issue and verify", issueAndVerify),
        ("list and revoke", listAndRevoke),
        ("info", info),
    ]

    static func issueAndVerify(_ ca: any CertificateAuthority) async throws {
        let request = try CertificateRequest(commonName: "orcastra-cluster-\(UUID().uuidString.prefix(6))", sans: ["lab.example.net", "10.1.2.3"], ttl: .seconds(48 * 3600))
        let issued = try await ca.issue(request)
        let leaf = try Certificate(pemEncoded: issued.certificatePEM)
        #expect(abs(leaf.notValidAfter.timeIntervalSinceNow - 48 * 3600) < 120)
        #expect(abs(issued.notAfter.timeIntervalSince(leaf.notValidAfter)) < 1)
        let sans = try #require(try leaf.extensions.subjectAlternativeNames)
        #expect(sans.contains(.dnsName("lab.example.net")))
        #expect(sans.count == 2)
        let key = try P384.Signing.PrivateKey(pemRepresentation: issued.privateKeyPEM)
        #expect(leaf.publicKey == Certificate.PublicKey(key.publicKey))
        #expect(issued.chainPEM.count == 2)
        let chain = try issued.chainPEM.map { try Certificate(pemEncoded: $0) }
        var verifier = Verifier(rootCertificates: CertificateStore([chain[1]])) { RFC5280Policy() }
        let result = await verifier.validate(leaf: leaf, intermediates: CertificateStore([chain[0]]))
        guard case .validCertificate = result else {
            Issue.record("chain did not verify: \(result)")
            return
        }
    }

    static func listAndRevoke(_ ca: any CertificateAuthority) async throws {
        let issued = try await ca.issue(try CertificateRequest(commonName: "to-revoke", sans: ["r.example"], ttl: .seconds(3600)))
        let listed = try #require(try await ca.list().first { $0.serial == issued.serial })
        #expect(listed.commonName == "to-revoke")
        #expect(listed.sans == ["r.example"])
        #expect(listed.revokedAt == nil)
        let revoked = try await ca.revoke(serial: issued.serial)
        #expect(revoked.revokedAt != nil)
        #expect(try await ca.list().first { $0.serial == issued.serial }?.revokedAt != nil)
        await #expect(throws: CertificateAuthorityError.unknownSerial("00:11:22")) { try await ca.revoke(serial: "00:11:22") }
    }

    static func info(_ ca: any CertificateAuthority) async throws {
        let info = try await ca.info()
        #expect(info.subject.contains("CN="))
        #expect(info.notAfter > Date())
    }
}
