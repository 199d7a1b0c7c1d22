import Crypto
import Foundation
import NIOSSL
import OrcastraRuntime

/// What Orcastra needs to talk to one cluster: our client certificate and key, and the
/// server's certificate pinned at registration. Kept in the secret store at `clusters/<id>`.
struct ClusterCredentials: Sendable, Equatable {
    var certificatePEM: String
    var privateKeyPEM: String
    var serverCertificatePEM: String

    /// The secret store's fields.
    var stored: [String: String] {
        ["certificate": self.certificatePEM, "private_key": self.privateKeyPEM, "server_certificate": self.serverCertificatePEM]
    }

    init(certificatePEM: String, privateKeyPEM: String, serverCertificatePEM: String) {
        self.certificatePEM = certificatePEM
        self.privateKeyPEM = privateKeyPEM
        self.serverCertificatePEM = serverCertificatePEM
    }

    init?(stored: [String: String]) {
        guard let certificate = stored["certificate"], let key = stored["private_key"], let server = stored["server_certificate"] else { return nil }
        self.init(certificatePEM: certificate, privateKeyPEM: key, serverCertificatePEM: server)
    }

    /// mTLS with our certificate. The server is checked against its pinned fingerprint by
    /// `PinnedHTTPS`, not by trust roots or host names (LXD's self-signed certificates name the
    /// machine, not the address we dial). So the context holds no trust roots: the system's
    /// would be parsed into every cluster's context (about 1 MiB each, kept for as long as the
    /// driver is, which made 1,000 clusters cost the API a GiB) and never be consulted.
    func tlsConfiguration() throws -> TLSConfiguration {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates([])
        tls.certificateChain = try NIOSSLCertificate.fromPEMBytes(Array(self.certificatePEM.utf8)).map { .certificate($0) }
        tls.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: Array(self.privateKeyPEM.utf8), format: .pem))
        tls.minimumTLSVersion = .tlsv12
        return tls
    }

    /// Lower-case hex SHA-256 of a PEM certificate's DER, as LXD prints fingerprints.
    static func fingerprint(pem: String) throws -> String {
        fingerprint(der: try der(pem: pem))
    }

    /// The DER bytes of the first certificate in `pem`.
    static func der(pem: String) throws -> [UInt8] {
        guard let certificate = try NIOSSLCertificate.fromPEMBytes(Array(pem.utf8)).first else {
            throw ClusterError.badResponse("no certificate in the PEM text")
        }
        return try certificate.toDERBytes()
    }

    static func fingerprint(der: [UInt8]) -> String {
        Hex.encode(SHA256.hash(data: der))
    }
}
