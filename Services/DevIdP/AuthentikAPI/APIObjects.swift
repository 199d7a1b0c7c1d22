import OrcastraModels

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
    @NullWhenNil var lastLogin: String? = nil
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
}

/// `UserGroupSerializer`: a group as it appears inside a user.
struct APIUserGroup: Encodable, Equatable {
    var pk: String
    var numPK: Int
    var name: String
    var isSuperuser = false
    @NullWhenNil var parent: String? = nil
    @NullWhenNil var parentName: String? = nil
    var attributes: [String: String] = [:]

    enum CodingKeys: String, CodingKey {
        case pk, name, parent, attributes
        case numPK = "num_pk"
        case isSuperuser = "is_superuser"
        case parentName = "parent_name"
    }
}

/// `GroupSerializer`.
struct APIGroup: Encodable, Equatable {
    var pk: String
    var numPK: Int
    var name: String
    var isSuperuser = false
    @NullWhenNil var parent: String? = nil
    @NullWhenNil var parentName: String? = nil
    /// Member user pks.
    var users: [Int]
    /// nil when the request said `include_users=false`.
    @NullWhenNil var usersObj: [APIGroupMember]?
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
}

/// `GroupMemberSerializer`: a user as it appears inside a group.
struct APIGroupMember: Encodable, Equatable {
    var pk: Int
    var username: String
    var name: String
    var isActive = true
    @NullWhenNil var lastLogin: String? = nil
    var email: String
    var attributes: [String: String] = [:]
    var uid: String

    enum CodingKeys: String, CodingKey {
        case pk, username, name, email, attributes, uid
        case isActive = "is_active"
        case lastLogin = "last_login"
    }
}

extension UserDirectory {
    func apiUser(_ user: DirectoryUser, avatar: String) -> APIUser {
        let groups = user.groups.compactMap { self.group(named: $0) }
        return APIUser(
            pk: user.pk, username: user.username, name: user.name, isActive: self.isActive(user), isSuperuser: false,
            groups: groups.map(\.pk),
            groupsObj: groups.map { APIUserGroup(pk: $0.pk, numPK: $0.numPK, name: $0.name) },
            email: user.email, avatar: avatar, uid: user.uid
        )
    }

    func apiGroup(_ group: DirectoryGroup, includeUsers: Bool) -> APIGroup {
        let members = group.members.compactMap { self.user(pk: $0) }
        return APIGroup(
            pk: group.pk, numPK: group.numPK, name: group.name, users: group.members,
            usersObj: includeUsers ? members.map { APIGroupMember(pk: $0.pk, username: $0.username, name: $0.name, isActive: self.isActive($0), email: $0.email, uid: $0.uid) } : nil
        )
    }
}
