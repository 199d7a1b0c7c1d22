/// The three roles (Services/README.md, Roles), ordered by how much they may do.
public enum Role: String, Codable, Sendable, CaseIterable, Comparable {
    case tenant
    case partner
    case admin

    /// How the role is written for people ("Admin").
    public var title: String { self.rawValue.prefix(1).uppercased() + self.rawValue.dropFirst() }

    var rank: Int {
        switch self {
        case .tenant: 0
        case .partner: 1
        case .admin: 2
        }
    }

    public static func < (lhs: Role, rhs: Role) -> Bool { lhs.rank < rhs.rank }

    /// The group names that grant each role, compared without regard to case.
    static let aliases: [String: Role] = [
        "role_admin": .admin, "orcastra-admins": .admin, "admin": .admin,
        "role_partner": .partner, "orcastra-partners": .partner, "partner": .partner,
        "role_tenant": .tenant, "orcastra-tenants": .tenant, "tenant": .tenant,
    ]

    /// The role a set of IdP groups grants: any listed alias, or any `role_<name>` whose name
    /// is a role; several → the highest; none → Tenant (least privilege).
    public static func resolve(groups: [String]) -> Role {
        groups.compactMap(Self.granted(by:)).max() ?? .tenant
    }

    /// The role one group grants, if any.
    static func granted(by group: String) -> Role? {
        let name = group.lowercased()
        return Self.aliases[name] ?? (name.hasPrefix("role_") ? Role(rawValue: String(name.dropFirst(5))) : nil)
    }

    /// The first of `groups` that grants the role `resolve(groups:)` gives; nil when none does.
    public static func grantingGroup(_ groups: [String]) -> String? {
        let role = Self.resolve(groups: groups)
        return groups.first { Self.granted(by: $0) == role }
    }
}
