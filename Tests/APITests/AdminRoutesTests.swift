import Foundation
import HTTPTypes
import OrcastraModels
import Testing

@testable import OrcastraAPI

/// The admin-only routes as the real router mounts them (their requirement is checked by the
/// `Authorizer`), so these go through `AuthHarness`, not a router of their own.
@Suite("Admin-only routes")
struct AdminRoutesTests {
    @Test("audit log and certificates: a tenant and a partner get 403, an admin 200", arguments: ["/api/v1/audit-log", "/api/v1/pki/certs"])
    func adminOnly(path: String) async throws {
        try await AuthHarness.run { h, client in
            for (subject, role, expected) in [("t", "tenant", HTTPResponse.Status.forbidden), ("p", "partner", .forbidden), ("a", "admin", .ok)] {
                let token = try h.issuer.token(h.issuer.claims(subject: subject, groups: ["role_\(role)"]))
                let (status, body) = try await client.call(.get, path, bearer: token)
                #expect(status == expected, "\(role) → \(status)")
                if expected == .forbidden {
                    #expect(body.errorCode == "forbidden")
                    #expect(body.errorMessage?.contains("belongs to the Admin role") == true, "\(String(decoding: body, as: UTF8.self))")
                }
            }
        }
    }
}
