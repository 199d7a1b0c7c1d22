import Foundation
import OrcastraModels
import OrcastraRuntime
import OrcastraTestSupport
import PostgresNIO
import Testing

@testable import OrcastraAPI

/// A user whose groups grant a different role than last time is audited once, with the role
/// before and after, in the same hash chain as everything else.
@Suite("Role changes")
struct RoleChangeAuditTests {
    @Test("first sight is user.create; tenant, then admin: one user.role_changed with before and after; the same role again adds none")
    func roleChangeAudited() async throws {
        try await AuthHarness.run { h, client in
            for groups in [["role_tenant"], ["role_admin"], ["role_admin"]] {
                let token = try h.issuer.token(h.issuer.claims(subject: "mallory", groups: groups))
                #expect(try await client.me(bearer: token).1?.role == Role.resolve(groups: groups))
            }
            let rows = try await h.sql { pg in
                try await pg.query("SELECT body FROM audit_events WHERE action = 'user.role_changed'").decode(String.self).all()
            }
            #expect(rows.count == 1)
            let created = try await h.sql { pg in try await pg.query("SELECT count(*) FROM audit_events WHERE action = 'user.create'").decode(Int.self).all() }
            #expect(created == [1], "the user's first sight is audited once")
            let entry = try JSONValue.parse(try #require(rows.first))["entry"]
            #expect(entry?["metadata"]?["before"]?["role"] == .string("tenant"))
            #expect(entry?["metadata"]?["after"]?["role"] == .string("admin"))
            #expect(entry?["severity"] == .string("warning"))
            #expect(entry?["result"] == .string("success"))
        }
    }
}
