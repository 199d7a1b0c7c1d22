import Foundation
import OrcastraRuntime

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

/// Trust tokens still waiting on the server, which a trusted client may list.
extension ClusterDriver {
    /// The id of the pending trust token whose secret is `secret`, if the server has one. How a
    /// client the server already trusts proves it holds a token: adding a certificate as a
    /// trusted client skips LXD's own token check.
    func pendingTrustToken(secret: String) async throws -> String? {
        let byStatus: [String: [LXD.PendingOperation]?] = try await self.restGet("/1.0/operations", query: ["recursion": "1"])
        for operation in byStatus.values.compactMap({ $0 }).joined() where operation.kind == "token" {
            if case .string(let candidate)? = operation.metadata?["secret"], SecureCompare.equal(candidate, secret) { return operation.id }
        }
        return nil
    }

    /// Cancels an operation; for a trust token, uses it up.
    func cancelOperation(_ id: String) async throws {
        try await self.restSend(.DELETE, "/1.0/operations/\(Self.escape(id))")
    }
}

extension LXD {
    /// An operation as `/1.0/operations?recursion=1` lists it, with its class (`token` for trust tokens).
    struct PendingOperation: Decodable, Sendable {
        var id: String
        var kind: String?
        var metadata: [String: JSONLeaf]?

        enum CodingKeys: String, CodingKey {
            case id, metadata
            case kind = "class"
        }
    }
}
