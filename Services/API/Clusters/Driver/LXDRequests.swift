import Foundation

/// The request bodies Orcastra sends, as the LXD/Incus REST API spells them. Optional fields
/// left nil are omitted, so the server applies its own default.
extension LXD {
    /// `POST /1.0/instances`: a new instance from an image on the server.
    struct InstancesPost: Encodable, Sendable, Equatable {
        var name: String
        var type: String
        var profiles: [String]
        var config: [String: String]
        /// Set only to size the root disk (`root`: type, path, pool and size).
        var devices: [String: [String: String]]?
        var source: Source

        struct Source: Encodable, Sendable, Equatable {
            var type = "image"
            var alias: String?
            var fingerprint: String?
        }
    }

    /// `PUT /1.0/instances/<name>/state`.
    struct InstanceStatePut: Encodable, Sendable, Equatable {
        /// start, stop, restart, freeze or unfreeze.
        var action: String
        var force: Bool?
        /// Seconds LXD waits for a clean stop before giving up.
        var timeout: Int?
    }

    /// `PATCH /1.0/instances/<name>`: the keys given are changed, the rest kept (a config
    /// value of "" removes the key).
    struct InstancePatch: Encodable, Sendable, Equatable {
        var config: [String: String]
        var devices: [String: [String: String]]?
    }

    /// `POST /1.0/instances/<name>/snapshots`.
    struct SnapshotsPost: Encodable, Sendable, Equatable {
        var name: String
        var stateful = false
    }

    /// `PUT /1.0/instances/<name>` with only `restore`: back to a snapshot.
    struct InstanceRestore: Encodable, Sendable, Equatable {
        var restore: String
    }

    /// `POST /1.0/certificates`: a client certificate presented over TLS joins the trust store
    /// with a trust token. LXD 5.0 takes the whole token as `password`; servers with the
    /// `explicit_trust_token` extension (newer LXD, Incus) take it as `trust_token`.
    ///
    /// A trusted client may instead add another certificate (`certificate`: base64 of its DER),
    /// `restricted` to `projects`: LXD then answers that certificate 403 outside those projects.
    struct CertificatesPost: Encodable, Sendable, Equatable {
        var type = "client"
        var name: String
        var password: String?
        var trustToken: String?
        var certificate: String?
        var restricted: Bool?
        var projects: [String]?

        enum CodingKeys: String, CodingKey { case type, name, password, trustToken = "trust_token", certificate, restricted, projects }

        /// The body `token` goes in, for a server with `extensions`.
        init(name: String, token: String, extensions: [String]) {
            self.name = name
            if extensions.contains("explicit_trust_token") { self.trustToken = token } else { self.password = token }
        }

        /// Trusts the certificate `der` inside `projects` only.
        init(name: String, restrictedCertificate der: [UInt8], projects: [String]) {
            self.name = name
            self.certificate = Data(der).base64EncodedString()
            self.restricted = true
            self.projects = projects
        }
    }
}
