/// The user and group objects of Authentik's core API, with the fields its serializers name.
///
/// Field lists from Authentik's `authentik/core/api/users.py` (`UserSerializer`,
/// `UserGroupSerializer`) and `authentik/core/api/groups.py` (`GroupSerializer`,
/// `GroupMemberSerializer`). Values Authentik would fill from state we do not have
/// (`last_login`, `attributes`, roles) are null or empty.

/// `UserSerializer`.
struct APIUser: Encodable, Equatable {
    var pk: Int
    var username: String
    var name: String
    var isActive = true
    var lastLogin: String? = nil
    var isSuperuser: Bool
    /// Group pks (UUIDs).
    var groups: [String]
    var groupsObj: [APIUserGroup]
    var email: String
    var avatar: String
    var attributes: [String: String] = [:]
    var uid: String
    var path = "users"
    var type = "internal"

    enum CodingKeys: String, CodingKey {
        case pk, username, name, groups, email, avatar, attributes, uid, path, type
        case isActive = "is_active"
        case lastLogin = "last_login"
        case isSuperuser = "is_superuser"
        case groupsObj = "groups_obj"
    }

    // `last_login` must be written as null, not left out, so it gets its own encoder.
    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(self.pk, forKey: .pk)
        try c.encode(self.username, forKey: .username)
        try c.encode(self.name, forKey: .name)
        try c.encode(self.isActive, forKey: .isActive)
        try c.encode(self.lastLogin, forKey: .lastLogin)
        try c.encode(self.isSuperuser, forKey: .isSuperuser)
        try c.encode(self.groups, forKey: .groups)
        try c.encode(self.groupsObj, forKey: .groupsObj)
        try c.encode(self.email, forKey: .email)
        try c.encode(self.avatar, forKey: .avatar)
        try c.encode(self.attributes, forKey: .attributes)
        try c.encode(self.uid, forKey: .uid)
        try c.encode(self.path, forKey: .path)
        try c.encode(self.type, forKey: .type)
    }
}

/// `UserGroupSerializer`: a group as it appears inside a user.
struct APIUserGroup: Encodable, Equatable {
    var pk: String
    var numPK: Int
    var name: String
    var isSuperuser = false
    var parent: String? = nil
    var parentName: String? = nil
    var attributes: [String: String] = [:]

    enum CodingKeys: String, CodingKey {
        case pk, name, parent, attributes
        case numPK = "num_pk"
        case isSuperuser = "is_superuser"
        case parentName = "parent_name"
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(self.pk, forKey: .pk)
        try c.encode(self.numPK, forKey: .numPK)
        try c.encode(self.name, forKey: .name)
        try c.encode(self.isSuperuser, forKey: .isSuperuser)
        try c.encode(self.parent, forKey: .parent)
        try c.encode(self.parentName, forKey: .parentName)
        try c.encode(self.attributes, forKey: .attributes)
    }
}

/// `GroupSerializer`.
struct APIGroup: Encodable, Equatable {
    var pk: String
    var numPK: Int
    var name: String
    var isSuperuser = false
    var parent: String? = nil
    var parentName: String? = nil
    /// Member user pks.
    var users: [Int]
    /// nil when the request said `include_users=false`.
    var usersObj: [APIGroupMember]?
    var attributes: [String: String] = [:]
    var roles: [String] = []
    var rolesObj: [String] = []

    enum CodingKeys: String, CodingKey {
        case pk, name, parent, users, attributes, roles
        case numPK = "num_pk"
        case isSuperuser = "is_superuser"
        case parentName = "parent_name"
        case usersObj = "users_obj"
        case rolesObj = "roles_obj"
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(self.pk, forKey: .pk)
        try c.encode(self.numPK, forKey: .numPK)
        try c.encode(self.name, forKey: .name)
        try c.encode(self.isSuperuser, forKey: .isSuperuser)
        try c.encode(self.parent, forKey: .parent)
        try c.encode(self.parentName, forKey: .parentName)
        try c.encode(self.users, forKey: .users)
        try c.encode(self.usersObj, forKey: .usersObj)
        try c.encode(self.attributes, forKey: .attributes)
        try c.encode(self.roles, forKey: .roles)
        try c.encode(self.rolesObj, forKey: .rolesObj)
    }
}

/// `GroupMemberSerializer`: a user as it appears inside a group.
struct APIGroupMember: Encodable, Equatable {
    var pk: Int
    var username: String
    var name: String
    var isActive = true
    var lastLogin: String? = nil
    var email: String
    var attributes: [String: String] = [:]
    var uid: String

    enum CodingKeys: String, CodingKey {
        case pk, username, name, email, attributes, uid
        case isActive = "is_active"
        case lastLogin = "last_login"
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(self.pk, forKey: .pk)
        try c.encode(self.username, forKey: .username)
        try c.encode(self.name, forKey: .name)
        try c.encode(self.isActive, forKey: .isActive)
        try c.encode(self.lastLogin, forKey: .lastLogin)
        try c.encode(self.email, forKey: .email)
        try c.encode(self.attributes, forKey: .attributes)
        try c.encode(self.uid, forKey: .uid)
    }
}

extension UserDirectory {
    func apiUser(_ user: DirectoryUser, avatar: String) -> APIUser {
        let groups = user.groups.compactMap { self.group(named: $0) }
        return APIUser(
            pk: user.pk, username: user.username, name: user.name, isSuperuser: false,
            groups: groups.map(\.pk),
            groupsObj: groups.map { APIUserGroup(pk: $0.pk, numPK: $0.numPK, name: $0.name) },
            email: user.email, avatar: avatar, uid: user.uid
        )
    }

    func apiGroup(_ group: DirectoryGroup, includeUsers: Bool) -> APIGroup {
        let members = group.members.compactMap { self.user(pk: $0) }
        return APIGroup(
            pk: group.pk, numPK: group.numPK, name: group.name, users: group.members,
            usersObj: includeUsers ? members.map { APIGroupMember(pk: $0.pk, username: $0.username, name: $0.name, email: $0.email, uid: $0.uid) } : nil
        )
    }
}
