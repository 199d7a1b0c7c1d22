import Foundation
import OrcastraRuntime

/// Issues, lists and revokes the certificates Orcastra needs (cluster client certificates
/// above all), whoever signs them: Vault's `pki_int` or the embedded CA.
protocol CertificateAuthority: Sendable {
    /// Issues a certificate and returns it with its chain and private key; the key is not kept
    /// by the CA (as with Vault), so callers store it where they need it.
    func issue(_ request: CertificateRequest) async throws -> IssuedCertificate
    /// Every certificate issued, newest first.
    func list() async throws -> [CertificateRecord]
    /// Marks a certificate revoked and returns its record.
    func revoke(serial: String) async throws -> CertificateRecord
    /// The issuing CA's subject and expiry.
    func info() async throws -> CAInfo
}

/// What to issue. The limits match the Vault role `lxd` (EC P-384, max TTL 8760 h).
struct CertificateRequest: Sendable, Equatable {
    enum Usage: String, Sendable { case client, server }

    static let maxTTL: Duration = .seconds(8760 * 3600)

    var commonName: String
    var sans: [String]
    var ttl: Duration
    var usage: Usage

    init(commonName: String, sans: [String] = [], ttl: Duration, usage: Usage = .client) throws(CertificateRequestError) {
        guard !commonName.isEmpty, commonName.count <= 64, !commonName.contains(where: \.isNewline) else {
            throw .invalid("common_name must be 1 to 64 characters on one line")
        }
        guard ttl > .zero, ttl <= Self.maxTTL else { throw .invalid("ttl must be positive and at most 8760 hours") }
        for san in sans where !SubjectAltName.isValid(san) {
            throw .invalid("'\(san)' is neither a DNS name nor an IP address")
        }
        self.commonName = commonName
        self.sans = sans
        self.ttl = ttl
        self.usage = usage
    }
}

/// A request that cannot be issued as asked: the caller's mistake, answered 422.
enum CertificateRequestError: APIErrorConvertible, Equatable, CustomStringConvertible {
    case invalid(String)
    var description: String { if case .invalid(let m) = self { m } else { "" } }
    var apiError: APIError { APIError(.unprocessableContent, code: "invalid_certificate_request", message: self.description) }
}

/// A certificate as issued: shown once, with its key.
struct IssuedCertificate: Sendable {
    var serial: String
    var certificatePEM: String
    /// Issuing CA first, root last.
    var chainPEM: [String]
    var privateKeyPEM: String
    var notAfter: Date
}

/// What the CA remembers of a certificate it issued.
struct CertificateRecord: Sendable, Equatable {
    var serial: String
    var commonName: String
    var sans: [String]
    var notAfter: Date
    var revokedAt: Date?
}

/// The issuing CA as shown on the status page.
struct CAInfo: Sendable, Equatable {
    var subject: String
    var notAfter: Date
}

/// Subject alternative names as operators write them: DNS names or IP addresses.
enum SubjectAltName {
    static func isValid(_ san: String) -> Bool {
        ipBytes(san) != nil || isDNSName(san)
    }

    static func isDNSName(_ s: String) -> Bool {
        let labels = s.split(separator: ".", omittingEmptySubsequences: false)
        return !s.isEmpty && s.count <= 253 && labels.allSatisfy { label in
            let body = label.hasPrefix("*") && label.count == 1 ? "a" : label
            return (1...63).contains(body.count) && !body.hasPrefix("-") && !body.hasSuffix("-")
                && body.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
        }
    }

    /// The address bytes when `s` is an IP address (no brackets or zones in a SAN).
    static func ipBytes(_ s: String) -> [UInt8]? {
        guard !s.contains("["), !s.contains("%") else { return nil }
        return IPAddress(s)?.bytes
    }
}
