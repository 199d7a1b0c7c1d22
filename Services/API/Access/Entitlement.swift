import OrcastraModels

/// What a route needs, in the vocabulary of Incus' fine-grained authorization: a named right
/// on a resource (`can_view` on a cluster, `can_update_state` on an instance). Server-wide
/// rights are held on `AccessResource.server`.
enum Entitlement: String, CaseIterable, Sendable {
    // Held on the server.
    case canManageClusters = "can_manage_clusters"
    case canCreateOrganizations = "can_create_organizations"
    case canActForOthers = "can_act_for_others"
    case canViewAuditLog = "can_view_audit_log"
    case canViewSecrets = "can_view_secrets"
    case canManageCertificates = "can_manage_certificates"
    /// Reading the identity provider's directory now (`POST /users/sync`).
    case canManageUsers = "can_manage_users"
    // Held on an organization, project, cluster, instance or operation.
    case canView = "can_view"
    case canEdit = "can_edit"
    case canDelete = "can_delete"
    case canCreateProjects = "can_create_projects"
    case canManageMembers = "can_manage_members"
    case canCreateInstances = "can_create_instances"
    case canUpdateState = "can_update_state"
    case canManageSnapshots = "can_manage_snapshots"
    /// Asking who may do what with the resource (`/access/explain`, `/access/who`).
    case canAuditAccess = "can_audit_access"

    /// What a project role holds on its project: a viewer sees it, an operator also runs
    /// instances in it.
    static func bundle(_ role: ProjectRole) -> Set<Entitlement> {
        switch role {
        case .viewer: [.canView]
        case .operator: [.canView, .canCreateInstances, .canUpdateState, .canManageSnapshots]
        }
    }

    /// What a project role holds on the instances (and operations) in its project's LXD
    /// project: a viewer sees them; an operator also starts and stops, snapshots and deletes
    /// them (what it creates counts against the project's quota, which LXD enforces).
    static func instanceBundle(_ role: ProjectRole) -> Set<Entitlement> {
        switch role {
        case .viewer: [.canView]
        case .operator: [.canView, .canUpdateState, .canManageSnapshots, .canDelete]
        }
    }

    /// The entitlements that mean something on `resource`.
    static func applicable(to resource: AccessResource) -> [Entitlement] {
        switch resource {
        case .server: Self.allCases.filter(\.serverWide) + [.canAuditAccess]
        case .organization: [.canView, .canEdit, .canDelete, .canCreateProjects, .canAuditAccess]
        case .project: [.canView, .canEdit, .canDelete, .canManageMembers, .canCreateInstances, .canUpdateState, .canManageSnapshots, .canAuditAccess]
        case .cluster: [.canView, .canEdit, .canDelete, .canCreateProjects, .canCreateInstances, .canAuditAccess]
        case .instance: [.canView, .canUpdateState, .canManageSnapshots, .canDelete, .canManageMembers, .canAuditAccess]
        case .operation: [.canView, .canAuditAccess]
        }
    }

    /// Held on the server rather than on one resource.
    var serverWide: Bool {
        switch self {
        case .canManageClusters, .canCreateOrganizations, .canActForOthers, .canViewAuditLog, .canViewSecrets, .canManageCertificates, .canManageUsers: true
        case .canView, .canEdit, .canDelete, .canCreateProjects, .canManageMembers, .canCreateInstances, .canUpdateState, .canManageSnapshots, .canAuditAccess: false
        }
    }
}
