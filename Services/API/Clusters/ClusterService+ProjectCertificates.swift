import Foundation
import OrcastraModels
import OrcastraRuntime

/// Least privilege toward LXD: each project gets its own client certificate from Orcastra's
/// CA, which its cluster trusts inside the project's LXD project only (`restricted: true`,
/// `projects: [<lxd project>]`). Calls made for the project's members use it
/// (`driver(for:restrictedTo:)`), so LXD itself answers 403 anywhere else, whatever the API
/// above it decided.
extension ClusterService {
    /// What the project row keeps of its certificate: how the cluster knows it, and how our CA does.
    struct RestrictedCertificate: Sendable, Equatable {
        var fingerprint: String
        var serial: String
    }

    /// Issues project `project`'s certificate, has `cluster` trust it inside `lxdProject` only,
    /// and keeps it with its key in the secret store. What was done is undone when a step fails.
    func trustRestricted(on cluster: Cluster, project: UUID, lxdProject: String) async throws -> RestrictedCertificate {
        let name = "orcastra-project-\(lxdProject.prefix(47))"
        let issued = try await self.pki.ca().issue(try CertificateRequest(commonName: name, ttl: CertificateRequest.maxTTL))
        let certificate = RestrictedCertificate(fingerprint: try ClusterCredentials.fingerprint(pem: issued.certificatePEM), serial: issued.serial)
        do {
            try await self.driver(for: cluster).addCertificate(
                .init(name: name, restrictedCertificate: try ClusterCredentials.der(pem: issued.certificatePEM), projects: [lxdProject]))
            try await self.secrets.store.write(try ClusterConnections.secretPath(cluster.id, project: project),
                                               data: ["certificate": issued.certificatePEM, "private_key": issued.privateKeyPEM], cas: 0)
        } catch {
            await self.untrustRestricted(on: cluster, project: project, certificate: certificate)
            throw error
        }
        return certificate
    }

    /// Takes the project's certificate out of the cluster's trust store and its key out of the
    /// secret store, and revokes it at our CA. Each step is tried whatever the others did (a
    /// certificate the cluster no longer holds is fine); failures are logged, not thrown, so
    /// that removing a project is never stuck on its certificate.
    func untrustRestricted(on cluster: Cluster, project: UUID, certificate: RestrictedCertificate) async {
        var failures: [String: String] = [:]
        do {
            try await self.driver(for: cluster).with(timeout: self.settings.listTimeout).removeCertificate(fingerprint: certificate.fingerprint)
        } catch ClusterError.server(404, _) {
        } catch {
            failures["trust_store"] = "\(error)"
        }
        do { try await self.secrets.store.delete(try ClusterConnections.secretPath(cluster.id, project: project)) } catch {
            failures["secret_store"] = "\(error)"
        }
        do { _ = try await self.pki.ca().revoke(serial: certificate.serial) } catch {
            failures["revocation"] = "\(error)"
        }
        await self.connections.forget(cluster.id, project: project)
        if !failures.isEmpty {
            self.logger.error("a project's LXD certificate was not removed everywhere",
                              metadata: ["cluster": "\(cluster.id)", "project": "\(project)", "fingerprint": "\(certificate.fingerprint)",
                                         "failures": "\(failures.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: "; "))"])
        }
    }

    /// The driver speaking to `cluster` as project `project`, for calls made for its members.
    func driver(for cluster: Cluster, restrictedTo project: UUID) async throws -> ClusterDriver {
        try await self.connections.driver(for: cluster, restrictedTo: project)
    }
}
