import Foundation
import OrcastraRuntime
import NIOHTTP1
import X509

/// `CertificateAuthority` on Vault's PKI engine (`pki_int/issue/<role>`, `pki_int/certs`).
///
/// Vault returns an issued private key once and keeps no copy, so it is stored in KV at
/// `orcastra/pki/<serial>` beside the certificate (the `orcastra-policy` allows that path).
struct VaultCertificateAuthority: CertificateAuthority {
    let vault: VaultClient
    let store: VaultSecretStore
    let role: String
    var mount = "pki_int"

    func issue(_ request: CertificateRequest) async throws -> IssuedCertificate {
        let ips = request.sans.filter { SubjectAltName.ipBytes($0) != nil }
        let dns = request.sans.filter { SubjectAltName.ipBytes($0) == nil }
        var body: [String: Any] = [
            "common_name": request.commonName, "ttl": "\(request.ttl.components.seconds)s",
            "format": "pem", "private_key_format": "pkcs8",
        ]
        if !dns.isEmpty { body["alt_names"] = dns.joined(separator: ",") }
        if !ips.isEmpty { body["ip_sans"] = ips.joined(separator: ",") }
        let answer = try await self.vault.send(.POST, "\(self.mount)/issue/\(self.role)", json: body)
        guard answer.status == 200, let data = answer.data, let certificate = data["certificate"] as? String,
              let key = data["private_key"] as? String, let serial = data["serial_number"] as? String else {
            throw SecretStoreError.unavailable(code: "vault_error", message: "Vault answered \(answer.status) to the certificate request.")
        }
        let chain = (data["ca_chain"] as? [String]) ?? [data["issuing_ca"] as? String].compactMap { $0 }
        let parsed = try Certificate(pemEncoded: certificate)
        try await self.store.write(try Self.keyPath(serial), data: ["certificate": certificate, "private_key": key], cas: 0)
        return IssuedCertificate(serial: serial, certificatePEM: certificate, chainPEM: chain, privateKeyPEM: key, notAfter: parsed.notValidAfter)
    }

    func list() async throws -> [CertificateRecord] {
        let answer = try await self.vault.send(.GET, "\(self.mount)/certs", query: "list=true")
        if answer.status == 404 { return [] }
        let serials = (answer.data?["keys"] as? [String]) ?? []
        var records: [CertificateRecord] = []
        for serial in serials {
            if let record = try await self.record(serial) { records.append(record) }
        }
        return records.sorted { $0.notAfter > $1.notAfter }
    }

    func revoke(serial: String) async throws -> CertificateRecord {
        guard try await self.record(serial) != nil else { throw CertificateAuthorityError.unknownSerial(serial) }
        let answer = try await self.vault.send(.POST, "\(self.mount)/revoke", json: ["serial_number": serial])
        guard answer.status == 200 || answer.status == 204, let record = try await self.record(serial) else {
            throw SecretStoreError.unavailable(code: "vault_error", message: "Vault answered \(answer.status) to the revocation.")
        }
        return record
    }

    func info() async throws -> CAInfo {
        let answer = try await self.vault.send(.GET, "\(self.mount)/cert/ca")
        guard let pem = answer.data?["certificate"] as? String else {
            throw SecretStoreError.unavailable(code: "vault_error", message: "Vault has no issuing CA at \(self.mount).")
        }
        let ca = try Certificate(pemEncoded: pem)
        return CAInfo(subject: ca.subject.description, notAfter: ca.notValidAfter)
    }

    /// One issued certificate from `pki_int/cert/<serial>`, or nil when Vault does not know it.
    private func record(_ serial: String) async throws -> CertificateRecord? {
        let answer = try await self.vault.send(.GET, "\(self.mount)/cert/\(serial)")
        guard answer.status == 200, let pem = answer.data?["certificate"] as? String, !pem.isEmpty else { return nil }
        let certificate = try Certificate(pemEncoded: pem)
        let revokedAt = (answer.data?["revocation_time"] as? Int).flatMap { $0 > 0 ? Date(timeIntervalSince1970: Double($0)) : nil }
        let sans = (try certificate.extensions.subjectAlternativeNames).map { names in
            names.compactMap { name -> String? in
                switch name {
                case .dnsName(let dns): dns
                case .ipAddress(let octets): IPAddress(bytes: Array(octets.bytes))?.description
                default: nil
                }
            }
        } ?? []
        let commonName = certificate.subject.flatMap { $0 }.first { $0.type == .RDNAttributeType.commonName }.map { "\($0.value)" } ?? ""
        return CertificateRecord(serial: serial, commonName: commonName, sans: sans, notAfter: certificate.notValidAfter, revokedAt: revokedAt)
    }

    /// KV path for an issued key; serials' colons are not valid in our path segments.
    static func keyPath(_ serial: String) throws -> SecretPath {
        try SecretPath("orcastra/pki/" + serial.replacingOccurrences(of: ":", with: "-"))
    }
}
