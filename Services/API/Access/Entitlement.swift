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
    // Held on a cluster, organization, instance or operation.
    case canView = "can_view"
    case canEdit = "can_edit"
    case canDelete = "can_delete"
    case canCreateInstances = "can_create_instances"
    case canUpdateState = "can_update_state"
    case canManageSnapshots = "can_manage_snapshots"

    /// Held on the server rather than on one resource.
    var serverWide: Bool {
        switch self {
        case .canManageClusters, .canCreateOrganizations, .canActForOthers, .canViewAuditLog, .canViewSecrets, .canManageCertificates: true
        case .canView, .canEdit, .canDelete, .canCreateInstances, .canUpdateState, .canManageSnapshots: false
        }
    }
}
