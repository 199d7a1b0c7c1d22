import Crypto
import Foundation
import Logging
import OrcastraRuntime
import PostgresNIO
import X509

/// The default `CertificateAuthority`: a root and an intermediate made on first start, keys
/// sealed with `SecretCipher` in PostgreSQL, every issued certificate recorded.
///
/// Creation runs under an advisory lock, so two API processes starting on an empty database
/// end up with one CA, not two.
struct EmbeddedCertificateAuthority: CertificateAuthority {
    let client: PostgresClient
    let logger: Logger
    let issuer: CertificateBuilder.Signer
    let root: Certificate

    static let lockID: Int64 = 0x4F52_4341_5043_4131

    /// Loads the CA, creating it on first use.
    static func load(client: PostgresClient, cipher: SecretCipher, logger: Logger) async throws -> EmbeddedCertificateAuthority {
        return try await client.transaction(logger: logger) { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(\(Self.lockID))", logger: logger)
            var stored: [String: CertificateBuilder.Signer] = [:]
            for try await (name, pem, ciphertext) in try await connection.query(
                "SELECT name, certificate_pem, key_ciphertext FROM ca_keys", logger: logger
            ).decode((String, String, Data).self) {
                let keyPEM = String(decoding: try cipher.open(ciphertext, boundTo: "ca/\(name)"), as: UTF8.self)
                stored[name] = .init(certificate: try Certificate(pemEncoded: pem), key: try P384.Signing.PrivateKey(pemRepresentation: keyPEM))
            }
            if let root = stored["root"], let intermediate = stored["intermediate"] {
                return EmbeddedCertificateAuthority(client: client, logger: logger, issuer: intermediate, root: root.certificate)
            }
            let root = try CertificateBuilder.root(commonName: "Orcastra Root CA", years: 10)
            let intermediate = try CertificateBuilder.intermediate(commonName: "Orcastra Intermediate CA", years: 5, issuer: root)
            for (name, signer) in [("root", root), ("intermediate", intermediate)] {
                let pem = try signer.certificate.serializeAsPEM().pemString
                let sealed = try cipher.seal(Data(signer.key.pemRepresentation.utf8), boundTo: "ca/\(name)")
                try await connection.query(
                    "INSERT INTO ca_keys (name, certificate_pem, key_id, key_ciphertext) VALUES (\(name), \(pem), \(cipher.keyID), \(sealed))",
                    logger: logger)
            }
            logger.info("created the embedded certificate authority")
            return EmbeddedCertificateAuthority(client: client, logger: logger, issuer: intermediate, root: root.certificate)
        }
    }

    func issue(_ request: CertificateRequest) async throws -> IssuedCertificate {
        let (certificate, key) = try CertificateBuilder.leaf(request, issuer: self.issuer)
        let serial = CertificateBuilder.serial(certificate)
        let pem = try certificate.serializeAsPEM().pemString
        try await self.client.boundedQuery(
            """
            INSERT INTO issued_certificates (serial, common_name, sans, usage, not_before, not_after, certificate_pem)
            VALUES (\(serial), \(request.commonName), \(request.sans), \(request.usage.rawValue),
                    \(certificate.notValidBefore), \(certificate.notValidAfter), \(pem))
            """, logger: self.logger)
        return IssuedCertificate(
            serial: serial, certificatePEM: pem,
            chainPEM: [try self.issuer.certificate.serializeAsPEM().pemString, try self.root.serializeAsPEM().pemString],
            privateKeyPEM: key.pemRepresentation, notAfter: certificate.notValidAfter
        )
    }

    func list() async throws -> [CertificateRecord] {
        try await self.records(
            "SELECT \(unescaped: Self.recordColumns) FROM issued_certificates ORDER BY issued_at DESC, serial")
    }

    func revoke(serial: String) async throws -> CertificateRecord {
        let revoked = try await self.records(
            """
            UPDATE issued_certificates SET revoked_at = coalesce(revoked_at, now()) WHERE serial = \(serial.lowercased())
            RETURNING \(unescaped: Self.recordColumns)
            """)
        guard let record = revoked.first else { throw CertificateAuthorityError.unknownSerial(serial) }
        return record
    }

    /// The columns a `CertificateRecord` is read from, in the order `records` decodes them.
    private static let recordColumns = "serial, common_name, sans, not_after, revoked_at"

    private func records(_ query: PostgresQuery) async throws -> [CertificateRecord] {
        var records: [CertificateRecord] = []
        for try await (serial, cn, sans, notAfter, revokedAt) in try await self.client.boundedQuery(query, logger: self.logger)
            .decode((String, String, [String], Date, Date?).self) {
            records.append(CertificateRecord(serial: serial, commonName: cn, sans: sans, notAfter: notAfter, revokedAt: revokedAt))
        }
        return records
    }

    func info() async throws -> CAInfo {
        CAInfo(subject: self.issuer.certificate.subject.description, notAfter: self.issuer.certificate.notValidAfter)
    }
}

/// Failures of a certificate authority that callers answer differently.
enum CertificateAuthorityError: APIErrorConvertible, Equatable, CustomStringConvertible {
    case unknownSerial(String)
    var description: String {
        switch self { case .unknownSerial(let s): "no certificate with serial \(s) was issued here" }
    }
    /// Revoking a serial this CA never issued is a 404 on that serial.
    var apiError: APIError { APIError(.notFound, code: "not_found", message: self.description) }
}
