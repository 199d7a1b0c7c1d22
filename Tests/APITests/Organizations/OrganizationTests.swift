import Foundation
import HTTPTypes
import HummingbirdTesting
import OrcastraRuntime
import OrcastraModels
import PostgresNIO
import Testing

@testable import OrcastraAPI

/// `/api/v1/organizations` through the real router, authenticator and authorizer, on a real
/// PostgreSQL: partners keep their own, admins see all and act for partners, every change is
/// audited with before and after, and bad input is a clear 4xx that writes nothing.
@Suite("Organizations")
struct OrganizationTests {
    /// A signed-in caller: a token with `role_<role>`, and its user id as `/me` reports it.
    static func user(_ h: AuthHarness, _ client: some TestClientProtocol, _ subject: String, _ role: Role) async throws -> (token: String, id: UUID) {
        let token = try h.issuer.token(h.issuer.claims(subject: subject, groups: ["role_\(role.rawValue)"]))
        let (status, me) = try await client.me(bearer: token)
        let identity = try #require(me, "\(subject) could not sign in: \(status)")
        return (token, identity.id)
    }

    static func decode<T: Decodable>(_ type: T.Type, _ data: Data) throws -> T {
        try JSONCoding.decoder.decode(T.self, from: data)
    }

    @Test("a partner creates, lists, renames and deletes its own; another partner gets 404; a tenant may not create; an admin sees all and creates for a partner")
    func lifecycle() async throws {
        try await AuthHarness.run { h, client in
            let alice = try await Self.user(h, client, "alice", .partner)
            let bob = try await Self.user(h, client, "bob", .partner)
            let tenant = try await Self.user(h, client, "tina", .tenant)
            let admin = try await Self.user(h, client, "root", .admin)

            let (created, body) = try await client.call(.post, "/api/v1/organizations", bearer: alice.token, json: #"{"name":"  Acme Ltd ","description":"first customer"}"#)
            #expect(created == .created, "\(String(decoding: body, as: UTF8.self))")
            let acme = try Self.decode(Organization.self, body)
            #expect(acme.name == "Acme Ltd" && acme.ownerID == alice.id && acme.description == "first customer")

            let (dup, dupBody) = try await client.call(.post, "/api/v1/organizations", bearer: alice.token, json: #"{"name":"acme ltd"}"#)
            #expect(dup == .conflict && dupBody.errorCode == "name_taken")
            // The same name under another owner is fine.
            #expect(try await client.call(.post, "/api/v1/organizations", bearer: bob.token, json: #"{"name":"Acme Ltd"}"#).0 == .created)

            let path = "/api/v1/organizations/\(acme.id.uuidString.lowercased())"
            for (method, json) in [(HTTPRequest.Method.get, nil), (.patch, #"{"name":"Mine now"}"#), (.delete, nil)] as [(HTTPRequest.Method, String?)] {
                let (status, refused) = try await client.call(method, path, bearer: bob.token, json: json)
                #expect(status == .notFound && refused.errorCode == "not_found", "bob \(method) → \(status)")
            }
            #expect(try await client.call(.get, path, bearer: tenant.token).0 == .notFound)
            let (tenantCreate, tenantBody) = try await client.call(.post, "/api/v1/organizations", bearer: tenant.token, json: #"{"name":"Nope"}"#)
            #expect(tenantCreate == .forbidden && tenantBody.errorMessage?.contains("can_create_organizations") == true)

            let alicesList = try Self.decode(ListPage<Organization>.self, try await client.call(.get, "/api/v1/organizations", bearer: alice.token).1)
            #expect(alicesList.items.map(\.name) == ["Acme Ltd"])
            #expect(try Self.decode(ListPage<Organization>.self, try await client.call(.get, "/api/v1/organizations", bearer: tenant.token).1).items.isEmpty)
            #expect(try Self.decode(ListPage<Organization>.self, try await client.call(.get, "/api/v1/organizations", bearer: admin.token).1).items.count == 2)

            let (renamed, renamedBody) = try await client.call(.patch, path, bearer: alice.token, json: #"{"name":"Acme Group","description":null}"#)
            #expect(try renamed == .ok && Self.decode(Organization.self, renamedBody).name == "Acme Group")

            // An admin creates one for bob; bob sees it as his own. A partner may not.
            let (forBob, forBobBody) = try await client.call(.post, "/api/v1/organizations", bearer: admin.token,
                                                            json: #"{"name":"Globex","owner_id":"\#(bob.id.uuidString)"}"#)
            #expect(try forBob == .created && Self.decode(Organization.self, forBobBody).ownerID == bob.id)
            let (actFor, actForBody) = try await client.call(.post, "/api/v1/organizations", bearer: alice.token,
                                                            json: #"{"name":"Globex","owner_id":"\#(bob.id.uuidString)"}"#)
            #expect(actFor == .forbidden && actForBody.errorMessage?.contains("can_act_for_others") == true)
            let (toTenant, toTenantBody) = try await client.call(.post, "/api/v1/organizations", bearer: admin.token,
                                                                json: #"{"name":"Initech","owner_id":"\#(tenant.id.uuidString)"}"#)
            #expect(toTenant == .unprocessableContent && toTenantBody.errorCode == "invalid_owner")

            #expect(try await client.call(.delete, path, bearer: alice.token).0 == .noContent)
            #expect(try await client.call(.get, path, bearer: alice.token).0 == .notFound)

            // Every change, with what it changed.
            let events = try await h.sql { sql in
                try await sql.boundedQuery("""
                    SELECT action, body FROM audit_events WHERE action LIKE 'organization.%' ORDER BY seq
                    """, logger: .init(label: "test")).decode((String, String).self).all()
            }
            #expect(events.map(\.0) == ["organization.create", "organization.create", "organization.update", "organization.create", "organization.delete"])
            let update = try #require(events.first { $0.0 == "organization.update" }?.1)
            #expect(update.contains(#""before":{"#) && update.contains("Acme Ltd"), "\(update)")
            #expect(update.contains("Acme Group"))
        }
    }

    @Test("malformed or hostile input is a 4xx naming the problem, and nothing is written", arguments: [
        (#"{"name":""}"#, "invalid_name"),
        (#"{"name":"   "}"#, "invalid_name"),
        (#"{"name":"a\u0007b"}"#, "invalid_name"),
        ("{\"name\":\"\(String(repeating: "é", count: 101))\"}", "invalid_name"),
        ("{\"name\":\"ok\",\"description\":\"\(String(repeating: "x", count: 501))\"}", "invalid_description"),
        (#"{"name":"ok","owner_id":"not-a-uuid"}"#, ""),
        (#"{"description":"no name"}"#, ""),
        (#"{"name":42}"#, ""),
        ("not json", ""),
    ])
    func badInput(json: String, code: String) async throws {
        try await AuthHarness.run { h, client in
            let alice = try await Self.user(h, client, "alice", .partner)
            let (status, body) = try await client.call(.post, "/api/v1/organizations", bearer: alice.token, json: json)
            #expect([.badRequest, .unprocessableContent].contains(status), "\(json) → \(status)")
            #expect(body.errorMessage?.isEmpty == false)
            if !code.isEmpty { #expect(body.errorCode == code, "\(json) → \(body.errorCode ?? "none")") }
            let rows = try await h.sql { sql in
                try await sql.boundedQuery("SELECT count(*)::int FROM organizations", logger: .init(label: "test")).decode(Int.self).all()
            }
            #expect(rows == [0])
        }
    }
}
