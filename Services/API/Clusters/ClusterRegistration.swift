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
///
/// A caller who is not an admin is held to more, because registration makes the API connect
/// where the caller says: the addresses must pass `ClusterAddressPolicy`, every failed address
/// gets the same words (what the network answered is not theirs to learn), a partner owns at
/// most `MAX_CLUSTERS_PER_PARTNER` clusters, and a token's secret must be proven even when the
/// server already trusts Orcastra's certificate (by trusting our CA). Every user starts at most
/// `CLUSTER_REGISTRATIONS_PER_HOUR` registrations an hour.
struct ClusterRegistration: Sendable {
    let store: ClusterStore
    let connections: ClusterConnections
    let secrets: SecretsService
    let pki: PKIService
    let audit: AuditTrail
    let logger: Logger

    var settings: ClusterSettings { self.connections.settings }
    var limit: ClusterRegistrationLimit {
        ClusterRegistrationLimit(client: self.store.client, perHour: self.settings.registrationsPerHour, logger: self.logger)
    }

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
        /// An admin or the system: any address, detailed errors, no quota, no proof of the
        /// token's secret needed when the server already trusts us.
        var privileged: Bool
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
        // Before anything is tried (and not counted as an attempt of its own when refused).
        if let owner = request.owner { try await self.limit.admit(owner) }
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
        try await self.checkQuota(request, connection: nil)
        let id = UUID()
        let (address, serverPEM, expected) = try await self.pin(request.source, privileged: request.privileged)
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
        if case .token(let token) = request.source {
            if before.auth != "trusted" {
                // Undone even if the answer is lost: the server may have added us all the same.
                undo.add("remove our certificate from \(endpoint)") { try await driver.removeCertificate(fingerprint: clientFingerprint) }
                try await self.trust(token, name: "orcastra-\(request.name)", extensions: before.apiExtensions, driver: driver)
            } else if !request.privileged {
                try await self.proveSecret(token, driver: driver)
            }
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
                try await self.checkQuota(request, connection: connection)
                try await self.store.insert(cluster, clientSerial: serial, on: connection)
                try await self.secrets.store.write(path, data: credentials.stored, cas: 0)
            }
        } catch let error as PSQLError where error.uniqueViolation {
            throw APIError(.conflict, code: "name_taken", message: "a cluster named '\(request.name)' is already registered")
        }
        // Committed: from here on nothing is taken back.
        undo = Undo()
        await self.connections.forget(id)
        return (try? await self.store.find(id)) ?? cluster
    }

    /// Finds a reachable address and the server certificate there, checked against the
    /// fingerprint the caller gave: returns the address connected to (`ip:port`, stored as the
    /// endpoint so a later DNS change cannot move the cluster), the certificate and the
    /// fingerprint. For a caller who is not privileged, each address must pass the address
    /// policy and a failed one is reported in the same words whatever went wrong.
    private func pin(_ source: Source, privileged: Bool) async throws -> (String, String, String) {
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
        var refused: [String] = []
        for address in addresses {
            let targets: [ClusterAddressPolicy.Target]
            do {
                targets = try self.settings.addresses.resolve(address, checked: !privileged)
            } catch let error as ClusterAddressPolicy.Refused {
                refused.append(error.description)
                continue
            } catch {
                failures.append(privileged ? "\(address): \(error)" : Self.genericFailure(address))
                continue
            }
            for target in targets {
                let pem: String
                do {
                    pem = try await ServerCertificateProbe.certificate(at: target.description, timeout: self.settings.connectTimeout)
                } catch {
                    failures.append(privileged ? "\(target): \(error)" : Self.genericFailure(address))
                    continue
                }
                let presented = try ClusterCredentials.fingerprint(pem: pem)
                guard SecureCompare.equal(presented, expected) else {
                    if privileged {
                        throw APIError(.badGateway, code: "fingerprint_mismatch",
                                       message: "the server at \(target) presented a certificate with fingerprint \(presented), not the expected \(expected)")
                    }
                    failures.append(Self.genericFailure(address))
                    continue
                }
                return (target.description, pem, expected)
            }
        }
        if failures.isEmpty, !refused.isEmpty {
            throw APIError(.unprocessableContent, code: "address_not_allowed",
                           message: "no address the \(addresses.count == 1 ? "request names" : "token names") may be registered: \(refused.joined(separator: "; "))")
        }
        throw APIError(.badGateway, code: "cluster_unreachable", message: "no address answered: \((refused + failures).joined(separator: "; "))")
    }

    /// The one thing a caller who is not an admin learns about an address that failed: not
    /// whether it was closed, filtered, not TLS, or another server.
    static func genericFailure(_ address: String) -> String {
        "\(address): no LXD server with the expected certificate answered"
    }

    /// Refuses a partner's registration past `MAX_CLUSTERS_PER_PARTNER`. Checked before any
    /// connection and again in the transaction that inserts the row (under a lock per owner), so
    /// parallel registrations cannot overshoot.
    private func checkQuota(_ request: Request, connection: DatabaseTransaction?) async throws {
        guard !request.privileged, let owner = request.owner else { return }
        let owned = try await self.store.count(ownedBy: owner, on: connection)
        guard owned < self.settings.maxPerPartner else {
            throw APIError(.conflict, code: "cluster_limit_reached",
                           message: "you have \(owned) clusters registered, the most a partner may have (\(self.settings.maxPerPartner)); remove one first")
        }
    }

    /// For a server that already trusts our certificate (it trusts our CA): the token's secret
    /// must be one the server has pending, and it is used up, as adding our certificate with it
    /// would have done. Without this any partner could claim any server that trusts our CA.
    private func proveSecret(_ token: TrustToken, driver: ClusterDriver) async throws {
        guard let operation = try await driver.pendingTrustToken(secret: token.secret) else {
            throw APIError(.unprocessableContent, code: "trust_token_rejected",
                           message: "the server has no pending trust token with this secret (used already, revoked or expired)")
        }
        try await driver.cancelOperation(operation)
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
