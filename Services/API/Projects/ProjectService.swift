import Foundation
import Logging
import OrcastraModels
import OrcastraRuntime
import PostgresNIO

/// What the API does with projects: each is an LXD project on its cluster, created, changed
/// and deleted there first and then in PostgreSQL (audited), so that a row never names an LXD
/// project that does not exist; a row that cannot be written undoes the LXD side.
struct ProjectService: Sendable {
    let store: ProjectStore
    let clusters: ClusterService
    let audit: AuditTrail
    let logger: Logger

    /// How LXD projects made by Orcastra are set up: images and profiles come from the
    /// cluster's `default` project (so an instance can start from the images and the default
    /// profile already there), while the limits are the project's own.
    static let features = ["features.images": "false", "features.profiles": "false"]

    func create(_ body: ProjectRequests.Create, organization: UUID, by caller: Identity, requestID: String?) async throws -> Project {
        let name = try DisplayText.name(body.name)
        let description = try DisplayText.description(body.description ?? "")
        let lxdProject = try ProjectRequests.lxdProject(body.lxdProject ?? ProjectRequests.lxdName(for: name))
        let limits = body.limits ?? ProjectLimits()
        let config = try ProjectRequests.config(limits)
        let cluster = try await self.clusters.get(body.clusterID)
        try await self.store.checkFree(name: name, organization: organization, lxdProject: lxdProject, cluster: cluster.id)

        let driver = try await self.clusters.driver(for: cluster)
        do {
            try await driver.createProject(.init(name: lxdProject, description: "Orcastra project \(name)",
                                                 config: Self.features.merging(config) { $1 }))
        } catch ClusterError.server(let status, let message) where status == 409 || message.localizedCaseInsensitiveContains("already exists") {
            throw APIError(.conflict, code: "lxd_project_exists",
                           message: "the cluster already has an LXD project '\(lxdProject)'; choose another lxd_project")
        }
        let project = Project(id: UUID(), organizationID: organization, organizationName: nil, clusterID: cluster.id, clusterName: cluster.name,
                              name: name, description: description, lxdProject: lxdProject, limits: limits, createdAt: Date(), updatedAt: Date())
        // The row is what makes the LXD project and its certificate Orcastra's: whatever step
        // fails, what was made before it goes.
        func removeLXDProject() async {
            do { try await driver.deleteProject(lxdProject) } catch {
                self.logger.error("an LXD project whose row could not be written was left on its cluster",
                                  metadata: ["cluster": "\(cluster.id)", "lxd_project": "\(lxdProject)", "error": "\(error)"])
            }
        }
        let certificate: ClusterService.RestrictedCertificate
        do {
            certificate = try await self.clusters.trustRestricted(on: cluster, project: project.id, lxdProject: lxdProject)
        } catch {
            await removeLXDProject()
            throw error
        }
        var after = Self.fields(project)
        after["client_fingerprint"] = certificate.fingerprint
        do {
            try await self.audit.record(AuditEvent(
                action: "project.create", category: "tenancy", actor: .init(caller),
                target: .init(type: "project", id: project.id.uuidString.lowercased(), host: cluster.name, project: lxdProject),
                requestID: requestID, after: after), client: self.store.client, logger: self.logger) { transaction in
                try await self.store.insert(project, certificate: certificate, on: transaction)
            }
        } catch {
            await self.clusters.untrustRestricted(on: cluster, project: project.id, certificate: certificate)
            await removeLXDProject()
            // Another request took the name or the LXD project since `checkFree`.
            if (error as? PSQLError)?.uniqueViolation == true {
                try await self.store.checkFree(name: name, organization: organization, lxdProject: lxdProject, cluster: cluster.id)
            }
            throw error
        }
        return try await self.store.get(project.id)
    }

    /// The project with what LXD counts against its limits (a cluster that does not answer, or
    /// whose credentials cannot be read, leaves `usage` out and says why).
    func detail(_ id: UUID) async throws -> Project {
        var project = try await self.store.get(id)
        do {
            let cluster = try await self.clusters.get(project.clusterID)
            let state = try await self.clusters.reader(for: cluster).projectState(project.lxdProject)
            project.usage = state.resources.sorted { $0.key < $1.key }.map {
                ProjectUsage(resource: $0.key, limit: $0.value.limit < 0 ? nil : $0.value.limit, usage: $0.value.usage)
            }
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            project.usageError = (error as? any APIErrorConvertible)?.apiError.message ?? "the cluster's answer could not be read"
        }
        return project
    }

    /// Renames, redescribes or sets a new quota (LXD first: it refuses a limit below what is
    /// already used, with its own message).
    func update(_ id: UUID, _ body: ProjectRequests.Update, by caller: Identity, requestID: String?) async throws -> Project {
        let old = try await self.store.get(id)
        var new = old
        if let name = body.name { new.name = try DisplayText.name(name) }
        if let description = body.description { new.description = try DisplayText.description(description) }
        if let limits = body.limits { new.limits = limits }
        let config = try ProjectRequests.config(new.limits)
        guard new != old else { return old }
        if new.name != old.name {
            try await self.store.checkFree(name: new.name, organization: old.organizationID, lxdProject: nil, cluster: old.clusterID, except: id)
        }
        if new.limits != old.limits {
            let driver = try await self.clusters.driver(for: try await self.clusters.get(old.clusterID))
            let current = try await driver.project(old.lxdProject)
            var lxdConfig = (current.config ?? [:]).filter { !$0.key.hasPrefix("limits.") }
            lxdConfig.merge(config) { $1 }
            do {
                try await driver.replaceProject(old.lxdProject, .init(description: current.description ?? "", config: lxdConfig))
            } catch ClusterError.server(let status, let message) where status == 400 || message.contains("too low") {
                // LXD answers a limit below what is used with a 500 that says so.
                throw APIError(.unprocessableContent, code: "quota_below_usage", message: "the cluster refused the new quota: \(message)")
            }
        }
        try await self.audit.record(AuditEvent(
            action: "project.update", category: "tenancy", actor: .init(caller),
            target: .init(type: "project", id: id.uuidString.lowercased(), host: old.clusterName, project: old.lxdProject),
            requestID: requestID, before: Self.fields(old), after: Self.fields(new)), client: self.store.client, logger: self.logger) { transaction in
            try await self.store.update(new, on: transaction)
        }
        return try await self.store.get(id)
    }

    /// Refused while the LXD project holds instances (named in the answer); otherwise the
    /// project's certificate leaves the cluster's trust store, the LXD project goes, then the row.
    func delete(_ id: UUID, by caller: Identity, requestID: String?) async throws {
        let project = try await self.store.get(id)
        let cluster = try await self.clusters.get(project.clusterID)
        let driver = try await self.clusters.driver(for: cluster)
        let instances = try await driver.instanceNames(inProject: project.lxdProject)
        guard instances.isEmpty else {
            throw APIError(.conflict, code: "project_not_empty",
                           message: "project '\(project.name)' still holds instances: \(instances.sorted().joined(separator: ", ")); delete them first")
        }
        if let certificate = try await self.store.certificate(of: id) {
            await self.clusters.untrustRestricted(on: cluster, project: id, certificate: certificate)
        }
        do {
            try await driver.deleteProject(project.lxdProject)
        } catch ClusterError.server(404, _) {
            // Already gone from the cluster: the row is all that is left.
        }
        try await self.audit.record(AuditEvent(
            action: "project.delete", category: "tenancy", actor: .init(caller),
            target: .init(type: "project", id: id.uuidString.lowercased(), host: project.clusterName, project: project.lxdProject),
            requestID: requestID, before: Self.fields(project)), client: self.store.client, logger: self.logger) { transaction in
            try await self.store.delete(id, on: transaction)
        }
    }

    /// What the audit trail records of a project.
    static func fields(_ project: Project) -> [String: String] {
        var fields = ["name": project.name, "description": project.description, "organization_id": project.organizationID.uuidString.lowercased(),
                      "cluster_id": project.clusterID.uuidString.lowercased(), "lxd_project": project.lxdProject]
        if let instances = project.limits.instances { fields["limits.instances"] = String(instances) }
        if let cpu = project.limits.cpu { fields["limits.cpu"] = String(cpu) }
        if let memory = project.limits.memory { fields["limits.memory"] = memory }
        if let disk = project.limits.disk { fields["limits.disk"] = disk }
        return fields
    }
}
