import OrcastraTestSupport
import Testing

@testable import OrcastraDevIdP

/// Authentik's serializers write every field, `null` when unset; clients of the real API
/// (and of this stand-in) may rely on the keys being there.
@Suite("Authentik API objects")
struct APIObjectJSONTests {
    static let member = APIGroupMember(pk: 7, username: "ada", name: "Ada", email: "ada@orcastra.test", uid: "uid-7")

    static let examples: [JSONExample] = [
        JSONExample(written: "APIUser, never signed in", APIUser(
            pk: 7, username: "ada", name: "Ada", isSuperuser: false, groups: ["g-1"],
            groupsObj: [APIUserGroup(pk: "g-1", numPK: 1, name: "ops")], email: "ada@orcastra.test",
            avatar: "https://idp.test/a.png", uid: "uid-7"),
            #"{"attributes":{},"avatar":"https://idp.test/a.png","email":"ada@orcastra.test","groups":["g-1"],"groups_obj":[{"attributes":{},"is_superuser":false,"name":"ops","num_pk":1,"parent":null,"parent_name":null,"pk":"g-1"}],"is_active":true,"is_superuser":false,"last_login":null,"name":"Ada","path":"users","pk":7,"type":"internal","uid":"uid-7","username":"ada"}"#),
        JSONExample(written: "APIUser, signed in before", APIUser(
            pk: 8, username: "bo", name: "Bo", lastLogin: "2025-01-02T03:04:05Z", isSuperuser: true, groups: [], groupsObj: [],
            email: "bo@orcastra.test", avatar: "", uid: "uid-8"),
            #"{"attributes":{},"avatar":"","email":"bo@orcastra.test","groups":[],"groups_obj":[],"is_active":true,"is_superuser":true,"last_login":"2025-01-02T03:04:05Z","name":"Bo","path":"users","pk":8,"type":"internal","uid":"uid-8","username":"bo"}"#),
        JSONExample(written: "APIUserGroup with a parent", APIUserGroup(pk: "g-2", numPK: 2, name: "dev", parent: "g-1", parentName: "ops"),
            #"{"attributes":{},"is_superuser":false,"name":"dev","num_pk":2,"parent":"g-1","parent_name":"ops","pk":"g-2"}"#),
        JSONExample(written: "APIGroup without members", APIGroup(pk: "g-1", numPK: 1, name: "ops", users: [7], usersObj: nil),
            #"{"attributes":{},"is_superuser":false,"name":"ops","num_pk":1,"parent":null,"parent_name":null,"pk":"g-1","roles":[],"roles_obj":[],"users":[7],"users_obj":null}"#),
        JSONExample(written: "APIGroup with members", APIGroup(pk: "g-2", numPK: 2, name: "dev", parent: "g-1", users: [7], usersObj: [member]),
            #"{"attributes":{},"is_superuser":false,"name":"dev","num_pk":2,"parent":"g-1","parent_name":null,"pk":"g-2","roles":[],"roles_obj":[],"users":[7],"users_obj":[{"attributes":{},"email":"ada@orcastra.test","is_active":true,"last_login":null,"name":"Ada","pk":7,"uid":"uid-7","username":"ada"}]}"#),
        JSONExample(written: "APIGroupMember", member,
            #"{"attributes":{},"email":"ada@orcastra.test","is_active":true,"last_login":null,"name":"Ada","pk":7,"uid":"uid-7","username":"ada"}"#),
    ]

    @Test("every field is written, null when unset", arguments: Self.examples)
    func json(_ example: JSONExample) throws {
        #expect(try example.differences() == [])
    }
}
