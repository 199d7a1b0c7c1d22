import Crypto
import Foundation
import OrcastraRuntime
import SwiftASN1
import X509

/// Makes the X.509 certificates of the embedded CA with swift-certificates: EC P-384 keys and
/// ECDSA-SHA384 signatures throughout, like the Vault role `lxd`.
enum CertificateBuilder {
    /// A signing identity: a certificate and the key that matches it.
    struct Signer: Sendable {
        var certificate: Certificate
        var key: P384.Signing.PrivateKey
    }

    static func name(_ commonName: String) throws -> DistinguishedName {
        try DistinguishedName {
            OrganizationName("Orcastra")
            CommonName(commonName)
        }
    }

    /// A self-signed root, valid for `years`.
    static func root(commonName: String, years: Int, now: Date = Date()) throws -> Signer {
        let key = P384.Signing.PrivateKey()
        let publicKey = Certificate.PublicKey(key.publicKey)
        let subject = try name(commonName)
        let certificate = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: publicKey,
            notValidBefore: now.addingTimeInterval(-300), notValidAfter: now.addingTimeInterval(Double(years) * 365 * 86400),
            issuer: subject, subject: subject, signatureAlgorithm: .ecdsaWithSHA384,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 1))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
                SubjectKeyIdentifier(hash: publicKey)
            },
            issuerPrivateKey: .init(key)
        )
        return Signer(certificate: certificate, key: key)
    }

    /// An intermediate CA signed by `issuer`, allowed to sign end-entity certificates only.
    static func intermediate(commonName: String, years: Int, issuer: Signer, now: Date = Date()) throws -> Signer {
        let key = P384.Signing.PrivateKey()
        let publicKey = Certificate.PublicKey(key.publicKey)
        let certificate = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: publicKey,
            notValidBefore: now.addingTimeInterval(-300),
            notValidAfter: min(now.addingTimeInterval(Double(years) * 365 * 86400), issuer.certificate.notValidAfter),
            issuer: issuer.certificate.subject, subject: try name(commonName), signatureAlgorithm: .ecdsaWithSHA384,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
                SubjectKeyIdentifier(hash: publicKey)
                try authorityKeyIdentifier(of: issuer.certificate)
            },
            issuerPrivateKey: .init(issuer.key)
        )
        return Signer(certificate: certificate, key: key)
    }

    /// An end-entity certificate for `request`, signed by `issuer`; never outlives the issuer.
    static func leaf(_ request: CertificateRequest, issuer: Signer, now: Date = Date()) throws -> (Certificate, P384.Signing.PrivateKey) {
        let key = P384.Signing.PrivateKey()
        let publicKey = Certificate.PublicKey(key.publicKey)
        let seconds = Double(request.ttl.components.seconds)
        let names: [GeneralName] = request.sans.map { san in
            SubjectAltName.ipBytes(san).map { .ipAddress(ASN1OctetString(contentBytes: ArraySlice($0))) } ?? .dnsName(san)
        }
        let usage: ExtendedKeyUsage.Usage = request.usage == .server ? .serverAuth : .clientAuth
        let certificate = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: publicKey,
            notValidBefore: now.addingTimeInterval(-60),
            notValidAfter: min(now.addingTimeInterval(seconds), issuer.certificate.notValidAfter),
            issuer: issuer.certificate.subject, subject: try name(request.commonName), signatureAlgorithm: .ecdsaWithSHA384,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true, keyAgreement: true))
                try ExtendedKeyUsage([usage])
                SubjectKeyIdentifier(hash: publicKey)
                try authorityKeyIdentifier(of: issuer.certificate)
                if !names.isEmpty { SubjectAlternativeNames(names) }
            },
            issuerPrivateKey: .init(issuer.key)
        )
        return (certificate, key)
    }

    static func authorityKeyIdentifier(of issuer: Certificate) throws -> AuthorityKeyIdentifier {
        AuthorityKeyIdentifier(keyIdentifier: try issuer.extensions.subjectKeyIdentifier?.keyIdentifier)
    }

    /// Serial numbers as Vault prints them: lower-case hex bytes joined by colons.
    static func serial(_ certificate: Certificate) -> String {
        Hex.encode(certificate.serialNumber.bytes, separator: UInt8(ascii: ":"))
    }
}
