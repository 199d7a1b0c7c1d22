import Foundation
import Logging
import OrcastraModels
import OrcastraRuntime
import PostgresNIO

/// Registers an LXD/Incus server, all or nothing.
///
/// With a trust token: the server's certificate is read and compared with the token's
/// fingerprint before anything is sent; a client certificate is issued by our CA and added to
/// the server's trust store with the token; the server must then say we are trusted. With an
/// endpoint and a certificate the server already trusts, the same checks minus the trust step.
/// The row, the credentials at `clusters/<id>` and the audit event are written together; if
/// any step fails, what earlier steps did (trust entry, secret, certificate) is undone.
struct ClusterRegistration: Sendable {
    let store: ClusterStore
    let connections: ClusterConnections
    let secrets: SecretsService
    let pki: PKIService
    let audit: AuditTrail
    let logger: Logger

    /// How the caller proves Orcastra may use the server.
    enum Source: Sendable {
        case token(TrustToken)
        case certificate(endpoint: String, serverFingerprint: String, credentials: ClusterCredentials)
    }

    struct Request: Sendable {
        var name: String
        var description: String
        var source: Source
        var owner: UUID?
        var actor: AuditActor
        var requestID: String?
    }

    /// Names as LXD names remotes: a letter or digit, then letters, digits, `.`, `_`, `-`.
    static func validName(_ name: String) -> Bool {
        LXDNames.isObjectName(name)
    }

    /// Descriptions are free text, up to 500 characters.
    static func checkDescription(_ description: String) throws {
        guard description.count <= 500 else {
            throw APIError(.unprocessableContent, code: "invalid_description", message: "description must be at most 500 characters")
        }
    }

    func register(_ request: Request) async throws -> Cluster {
        var undo = Undo()
        do {
            let cluster = try await self.attempt(request, undo: &undo)
            return cluster
        } catch {
            await undo.run(logger: self.logger)
            let apiError = (error as? any APIErrorConvertible)?.apiError
            await self.audit.recordFailure(AuditEvent(
                action: "cluster.register", category: "clusters", severity: .warning, actor: request.actor,
                target: .init(type: "cluster", id: request.name), result: .failure,
                errorCode: apiError?.code ?? "internal_error", errorMessage: apiError?.message ?? "registration failed",
                requestID: request.requestID), client: self.store.client, logger: self.logger)
            throw error
        }
    }

    private func attempt(_ request: Request, undo: inout Undo) async throws -> Cluster {
        guard Self.validName(request.name) else {
            throw APIError(.unprocessableContent, code: "invalid_name",
                           message: "name must be 1 to 63 letters, digits, '.', '_' or '-', starting with a letter or digit")
        }
        guard try await !self.store.nameTaken(request.name) else {
            throw APIError(.conflict, code: "name_taken", message: "a cluster named '\(request.name)' is already registered")
        }
        let id = UUID()
        let (address, serverPEM, expected) = try await self.pin(request.source)
        let endpoint = "https://\(address)"

        // Our credentials: issued now for a token, brought by the caller otherwise.
        let credentials: ClusterCredentials
        var serial: String?
        switch request.source {
        case .token:
            let wanted = try CertificateRequest(commonName: "orcastra-\(request.name.prefix(55))", ttl: CertificateRequest.maxTTL)
            let issued = try await self.pki.ca().issue(wanted)
            serial = issued.serial
            undo.add("revoke certificate \(issued.serial)") { _ = try await self.pki.ca().revoke(serial: issued.serial) }
            credentials = ClusterCredentials(certificatePEM: issued.certificatePEM, privateKeyPEM: issued.privateKeyPEM, serverCertificatePEM: serverPEM)
        case .certificate(_, _, let brought):
            credentials = ClusterCredentials(certificatePEM: brought.certificatePEM, privateKeyPEM: brought.privateKeyPEM, serverCertificatePEM: serverPEM)
        }
        let clientFingerprint: String
        do {
            clientFingerprint = try ClusterCredentials.fingerprint(pem: credentials.certificatePEM)
        } catch {
            throw APIError(.unprocessableContent, code: "invalid_certificate", message: "client_certificate is not a PEM certificate")
        }
        let driver = try self.connections.driver(endpoint: endpoint, credentials: credentials)

        let before = try await driver.server()
        if case .token(let token) = request.source, before.auth != "trusted" {
            // Undone even if the answer is lost: the server may have added us all the same.
            undo.add("remove our certificate from \(endpoint)") { try await driver.removeCertificate(fingerprint: clientFingerprint) }
            try await self.trust(token, name: "orcastra-\(request.name)", extensions: before.apiExtensions, driver: driver)
        }
        let server = try await driver.server()
        guard server.auth == "trusted" else {
            throw APIError(.unprocessableContent, code: "certificate_not_trusted",
                           message: "the server at \(endpoint) does not trust the client certificate (auth: \(server.auth))")
        }

        let cluster = Cluster(id: id, name: request.name, description: request.description, endpoint: endpoint,
                              serverFingerprint: expected, clientFingerprint: clientFingerprint, ownerID: request.owner,
                              ownerName: nil, createdAt: Date(), updatedAt: Date())
        let path = try ClusterConnections.secretPath(id)
        let event = AuditEvent(
            action: "cluster.register", category: "clusters", actor: request.actor,
            target: .init(type: "cluster", id: id.uuidString.lowercased(), host: request.name),
            details: ["name": request.name, "endpoint": endpoint, "server_fingerprint": expected, "client_fingerprint": clientFingerprint,
                      "server": server.environment?.server ?? "lxd", "server_version": server.environment?.serverVersion ?? "",
                      "method": { if case .token = request.source { "trust_token" } else { "certificate" } }()],
            requestID: request.requestID)
        // The secret is written inside the transaction, so a failed commit leaves no row; the
        // undo step then removes the secret too.
        undo.add("delete secret \(path)") { try await self.secrets.store.delete(path) }
        do {
            try await self.audit.record(event, client: self.store.client, logger: self.logger) { connection in
                try await self.store.insert(cluster, clientSerial: serial, on: connection)
                try await self.secrets.store.write(path, data: credentials.stored, cas: 0)
            }
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "23505" {
            throw APIError(.conflict, code: "name_taken", message: "a cluster named '\(request.name)' is already registered")
        }
        // Committed: from here on nothing is taken back.
        undo = Undo()
        await self.connections.forget(id)
        return (try? await self.store.find(id)) ?? cluster
    }

    /// Finds a reachable address and the server certificate there, checked against the
    /// fingerprint the caller gave: returns the address, the certificate and the fingerprint.
    private func pin(_ source: Source) async throws -> (String, String, String) {
        let addresses: [String]
        let expected: String
        switch source {
        case .token(let token):
            if token.isExpired() {
                throw APIError(.unprocessableContent, code: "trust_token_expired",
                               message: "the trust token expired at \(token.expiresAt.map { ISO8601DateFormatter().string(from: $0) } ?? "?"); ask the server for a new one")
            }
            addresses = token.addresses
            expected = token.fingerprint
        case .certificate(let endpoint, let fingerprint, _):
            addresses = [endpoint]
            expected = fingerprint
        }
        var failures: [String] = []
        for address in addresses {
            let pem: String
            do {
                pem = try await ServerCertificateProbe.certificate(at: address, timeout: self.connections.settings.connectTimeout)
            } catch {
                failures.append("\(address): \(error)")
                continue
            }
            let presented = try ClusterCredentials.fingerprint(pem: pem)
            guard SecureCompare.equal(presented, expected) else {
                throw APIError(.badGateway, code: "fingerprint_mismatch",
                               message: "the server at \(address) presented a certificate with fingerprint \(presented), not the expected \(expected)")
            }
            return (address, pem, expected)
        }
        throw APIError(.badGateway, code: "cluster_unreachable", message: "no address answered: \(failures.joined(separator: "; "))")
    }

    /// Adds our certificate to the server's trust store with the token. Here a refusal means
    /// the token, not the server, is at fault.
    private func trust(_ token: TrustToken, name: String, extensions: [String], driver: ClusterDriver) async throws {
        do {
            try await driver.addCertificate(LXD.CertificatesPost(name: name, token: token.raw, extensions: extensions))
        } catch ClusterError.server(let status, let message) where status == 403 || status == 400 || status == 404 {
            throw APIError(.unprocessableContent, code: "trust_token_rejected",
                           message: "the server refused the trust token (used already, revoked or expired): \(message)")
        }
    }
}

/// Steps to take back, newest first, when a later step fails.
struct Undo: Sendable {
    private var steps: [(String, @Sendable () async throws -> Void)] = []

    mutating func add(_ what: String, _ step: @escaping @Sendable () async throws -> Void) {
        self.steps.append((what, step))
    }

    func run(logger: Logger) async {
        for (what, step) in self.steps.reversed() {
            do {
                try await step()
            } catch {
                logger.error("could not undo a failed step", metadata: ["step": "\(what)", "error": "\(error)"])
            }
        }
    }
}
