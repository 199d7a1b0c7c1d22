import Foundation

/// The server itself (`/1.0`, cluster members) and its trust store (`/1.0/certificates`).
extension ClusterDriver {
    /// What the server says about itself, and whether it trusts our certificate (`auth`).
    func server() async throws -> LXD.Server {
        try await self.restGet("/1.0")
    }

    /// The members of a clustered server.
    func members() async throws -> [LXD.Member] {
        try await self.restGet("/1.0/cluster/members", query: ["recursion": "1"])
    }

    /// Adds a certificate to the server's trust store (ours, with a trust token).
    func addCertificate(_ certificate: LXD.CertificatesPost) async throws {
        try await self.restSend(.POST, "/1.0/certificates", body: certificate)
    }

    /// Takes a certificate out of the server's trust store.
    func removeCertificate(fingerprint: String) async throws {
        try await self.restSend(.DELETE, "/1.0/certificates/\(Self.escape(fingerprint))")
    }
}
