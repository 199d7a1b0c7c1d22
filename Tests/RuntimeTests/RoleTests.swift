import OrcastraModels
import Testing

/// Security rule 17 (Services/README.md): aliases, any `role_*`, highest wins, none → Tenant.
@Suite("Roles from groups")
struct RoleTests {
    @Test("each group alias grants its role", arguments: [
        ("role_admin", Role.admin), ("orcastra-admins", .admin), ("admin", .admin),
        ("role_partner", .partner), ("orcastra-partners", .partner), ("partner", .partner),
        ("role_tenant", .tenant), ("orcastra-tenants", .tenant), ("tenant", .tenant),
    ])
    func aliases(group: String, role: Role) {
        #expect(Role.resolve(groups: [group]) == role)
    }

    @Test("role_* in any case is read as a role claim; unknown role_* names grant nothing")
    func rolePrefix() {
        #expect(Role.resolve(groups: ["ROLE_ADMIN"]) == .admin)
        #expect(Role.resolve(groups: ["Role_Partner"]) == .partner)
        #expect(Role.resolve(groups: ["role_superuser"]) == .tenant)
    }

    @Test("several roles → the highest; none or unrelated groups → Tenant")
    func highestWinsAndDefault() {
        #expect(Role.resolve(groups: ["tenant", "role_partner", "staff"]) == .partner)
        #expect(Role.resolve(groups: ["role_tenant", "admin"]) == .admin)
        #expect(Role.resolve(groups: []) == .tenant)
        #expect(Role.resolve(groups: ["developers", "administrators"]) == .tenant)
    }

    @Test("the group a role comes from is the first that grants the winning role; none for the default")
    func grantingGroup() {
        #expect(Role.grantingGroup(["tenant", "staff", "Orcastra-Partners", "role_partner"]) == "Orcastra-Partners")
        #expect(Role.grantingGroup(["role_tenant"]) == "role_tenant")
        #expect(Role.grantingGroup(["developers"]) == nil)
        #expect(Role.grantingGroup([]) == nil)
    }
}
