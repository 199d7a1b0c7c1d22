import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import OrcastraTestSupport
import Testing

@testable import OrcastraDevIdP

@Suite("Authentik API subset")
struct AuthentikAPITests {
    static let auth: HTTPFields = [.authorization: "Bearer \(Fixture.apiToken)"]

    @Test("users are paginated in Authentik's shape")
    func usersPagination() async throws {
        try await withDevIdP { client in
            let first = try #require(try await client.get("/api/v3/core/users/?page_size=2", headers: Self.auth).json)
            #expect(first["pagination"] == .object([
                "next": .number(2), "previous": .number(0), "count": .number(3), "current": .number(1),
                "total_pages": .number(2), "start_index": .number(1), "end_index": .number(2),
            ]))
            guard case .array(let page1)? = first["results"] else { Issue.record("no results"); return }
            #expect(page1.compactMap { $0["username"]?.string } == ["alice", "bob"])

            let second = try #require(try await client.get("/api/v3/core/users/?page=2&page_size=2", headers: Self.auth).json)
            #expect(second["pagination"]?["next"]?.number == 0)
            #expect(second["pagination"]?["previous"]?.number == 1)
            #expect(second["pagination"]?["current"]?.number == 2)
            #expect(second["pagination"]?["start_index"]?.number == 3)
            #expect(second["pagination"]?["end_index"]?.number == 3)
            guard case .array(let page2)? = second["results"] else { Issue.record("no results"); return }
            #expect(page2.compactMap { $0["username"]?.string } == ["carol"])

            let all = try #require(try await client.get("/api/v3/core/users/", headers: Self.auth).json)
            #expect(all["pagination"]?["total_pages"]?.number == 1)
            #expect(all["pagination"]?["count"]?.number == 3)

            let beyond = try await client.get("/api/v3/core/users/?page=3&page_size=2", headers: Self.auth)
            #expect(beyond.status == .notFound)
            #expect(beyond.json?["detail"]?.string == "Invalid page.")
        }
    }

    @Test("a user carries Authentik's fields, with its groups as pks and objects")
    func userShape() async throws {
        try await withDevIdP { client in
            let body = try #require(try await client.get("/api/v3/core/users/?page_size=1", headers: Self.auth).json)
            guard case .array(let results)? = body["results"], let alice = results.first else { Issue.record("no results"); return }
            #expect(alice.keys == ["pk", "username", "name", "is_active", "last_login", "is_superuser", "groups", "groups_obj",
                                   "email", "avatar", "attributes", "uid", "path", "type"])
            #expect(alice["pk"]?.kind == "integer")
            #expect(alice["name"]?.string == "Alice Admin")
            #expect(alice["email"]?.string == "alice@example.test")
            #expect(alice["is_active"]?.bool == true)
            #expect(alice["last_login"] == .null)
            #expect(alice["uid"]?.string == UserDirectory.hexSHA256("alice"))
            #expect(alice["type"]?.string == "internal")
            guard case .array(let groupObjects)? = alice["groups_obj"], case .array(let groupPKs)? = alice["groups"] else {
                Issue.record("no groups"); return
            }
            #expect(groupObjects.compactMap { $0["name"]?.string } == ["role_admin", "orcastra-admins"])
            #expect(groupPKs == groupObjects.compactMap { $0["pk"] })
            #expect(groupPKs.allSatisfy { UUID(uuidString: $0.string ?? "") != nil })
            #expect(groupObjects.first?["parent"] == .null)
            #expect(groupObjects.first?["is_superuser"]?.bool == false)
        }
    }

    @Test("groups are made from the names users mention, with their members")
    func groups() async throws {
        try await withDevIdP { client in
            let body = try #require(try await client.get("/api/v3/core/groups/", headers: Self.auth).json)
            #expect(body["pagination"]?["count"]?.number == 4)
            guard case .array(let groups)? = body["results"] else { Issue.record("no results"); return }
            #expect(groups.compactMap { $0["name"]?.string } == ["orcastra-admins", "role_admin", "role_partner", "role_tenant"])
            let partner = try #require(groups.first { $0["name"]?.string == "role_partner" })
            #expect(partner["pk"]?.kind == "string")
            #expect(partner["parent"] == .null)
            #expect(partner["is_superuser"]?.bool == false)
            #expect(partner["users"] == .array([.number(2), .number(3)]))
            guard case .array(let members)? = partner["users_obj"] else { Issue.record("no users_obj"); return }
            #expect(members.compactMap { $0["username"]?.string } == ["bob", "carol"])

            let paged = try #require(try await client.get("/api/v3/core/groups/?page_size=3&page=2&include_users=false", headers: Self.auth).json)
            #expect(paged["pagination"]?["total_pages"]?.number == 2)
            guard case .array(let last)? = paged["results"] else { Issue.record("no results"); return }
            #expect(last.count == 1 && last.first?["users_obj"] == .null)
        }
    }

    @Test("without the API token the API answers 403 as Authentik does", arguments: [
        (nil, "Authentication credentials were not provided."),
        ("Bearer wrong-token", "Token invalid/expired"),
        ("Basic \(Fixture.apiToken)", "Unsupported authentication type"),
    ] as [(String?, String)])
    func forbidden(header: String?, detail: String) async throws {
        try await withDevIdP { client in
            var headers: HTTPFields = [:]
            if let header { headers[.authorization] = header }
            for path in ["/api/v3/core/users/", "/api/v3/core/groups/"] {
                let response = try await client.get(path, headers: headers)
                #expect(response.status == .forbidden)
                #expect(response.json == .object(["detail": .string(detail)]))
            }
        }
    }

    @Test("with no API token configured, no token opens the API")
    func noTokenConfigured() async throws {
        try await withDevIdP(Fixture.config(apiToken: nil)) { client async throws in
            #expect(try await client.get("/api/v3/core/users/").status == .forbidden)
            #expect(try await client.get("/api/v3/core/users/", headers: Self.auth).status == .forbidden)
        }
    }

    @Test("PATCH users/<pk>/ deactivates and reactivates an account as Authentik's partial update does; an inactive account cannot sign in")
    func deactivation() async throws {
        try await withDevIdP { client in
            func patch(_ path: String, _ json: String, headers: HTTPFields = Self.auth) async throws -> TestResponse {
                var all = headers
                all[.contentType] = "application/json"
                return try await client.executeRequest(uri: path, method: .patch, headers: all, body: ByteBuffer(string: json))
            }
            let off = try await patch("/api/v3/core/users/1/", #"{"is_active": false}"#)
            #expect(off.status == .ok && off.json?["username"]?.string == "alice" && off.json?["is_active"]?.bool == false)
            let listed = try #require(try await client.get("/api/v3/core/users/", headers: Self.auth).json)
            guard case .array(let users)? = listed["results"] else { Issue.record("no results"); return }
            #expect(users.first { $0["username"]?.string == "alice" }?["is_active"]?.bool == false)
            #expect(users.first { $0["username"]?.string == "bob" }?["is_active"]?.bool == true)
            let refused = try await client.signIn("alice", "alice-pw")
            #expect(refused.status == .ok && refused.text.contains("Invalid username or password."))

            #expect(try await patch("/api/v3/core/users/1/", #"{"is_active": true}"#).json?["is_active"]?.bool == true)
            #expect(try await client.signIn("alice", "alice-pw").status == .found)

            let unknown = try await patch("/api/v3/core/users/99/", #"{"is_active": false}"#)
            #expect(unknown.status == .notFound && unknown.json?["detail"]?.string == "Not found.")
            let wrongType = try await patch("/api/v3/core/users/1/", #"{"is_active": "no"}"#)
            #expect(wrongType.status == .badRequest && wrongType.json?["is_active"] == .array([.string("Must be a valid boolean.")]))
            #expect(try await patch("/api/v3/core/users/1/", #"{"is_active": false}"#, headers: [:]).status == .forbidden)
            #expect(try await client.signIn("alice", "alice-pw").status == .found, "the refused change changed nothing")
        }
    }
}
