import Foundation
import HTTPTypes
import HummingbirdTesting
import OrcastraRuntime
import OrcastraTestSupport
import PostgresNIO
import Testing

@testable import OrcastraAPI

/// Registration against the two real LXD daemons: what a success leaves on each side, and that
/// every kind of failure leaves nothing in the database, the secret store or the trust store.
@Suite("Cluster registration (real LXD)")
struct ClusterRegistrationTests {
    @Test("a trust token registers the server: row, secret, our certificate trusted there, audited; removal undoes all three")
    func registerAndRemove() async throws {
        try await ClusterFixture.run { f in
            let admin = try f.admin
            let trustedBefore = try await LXDTestBed.trusted("a")
            let id = try await f.register("a", name: "lxd-a", as: admin)

            let (_, cluster) = try await f.call(.get, "/api/v1/clusters/\(id)", as: admin)
            let clientFP = try #require(cluster["client_fingerprint"]?.string)
            #expect(cluster["server_fingerprint"]?.string == (try await LXDTestBed.serverFingerprint("a")))
            #expect(cluster["endpoint"]?.string == "https://\(try await LXDTestBed.address("a"))")
            #expect(try await LXDTestBed.trusted("a") == trustedBefore.union([clientFP]))
            let secrets = try await f.clusterSecrets()
            #expect(secrets == ["clusters/\(id.lowercased())"], "\(secrets)")

            let (_, status) = try await f.call(.get, "/api/v1/clusters/\(id)/status", as: admin)
            #expect(status["reachable"]?.bool == true)
            #expect(status["server"]?.string == "lxd")
            #expect(status["server_version"]?.string?.isEmpty == false)
            #expect((status["api_extensions"]?.number ?? 0) > 100)
            #expect(status["clustered"]?.bool == false)
            #expect(status["members"]?.items?.isEmpty == true)
            #expect((status["latency_ms"]?.number ?? -1) >= 0)

            for (kind, expected) in [("projects", "default"), ("profiles", "default"), ("storage-pools", "default"), ("images", "busybox")] {
                let (code, list) = try await f.call(.get, "/api/v1/clusters/\(id)/\(kind)", as: admin)
                #expect(code == .ok, "\(kind): \(list)")
                #expect(list["items"]?.items?.contains { $0["name"]?.string == expected } == true, "\(kind): \(list)")
            }
            let (networks, _) = try await f.call(.get, "/api/v1/clusters/\(id)/networks", as: admin)
            #expect(networks == .ok)
            #expect(try await f.call(.get, "/api/v1/clusters/\(id)/volumes", as: admin).0 == .notFound)

            let (renamed, body) = try await f.call(.patch, "/api/v1/clusters/\(id)", as: admin, json: #"{"name":"lab-a","description":"the lab"}"#)
            #expect(renamed == .ok)
            #expect(body["name"]?.string == "lab-a")

            try await f.remove(id, as: admin)
            #expect(try await LXDTestBed.trusted("a") == trustedBefore)
            #expect(try await f.clusterSecrets().isEmpty)
            #expect(try await f.clusterRows() == 0)
            let actions = try await f.audited("cluster.").map { "\($0.action):\($0.result)" }
            #expect(actions == ["cluster.register:success", "cluster.update:success", "cluster.delete:success"])
        }
    }

    /// A real token from daemon a with one field changed.
    static func altered(_ change: (inout [String: Any]) -> Void) async throws -> String {
        let token = try await LXDTestBed.token("a")
        let data = try #require(Data(base64Encoded: token))
        var fields = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        change(&fields)
        return try JSONSerialization.data(withJSONObject: fields).base64EncodedString()
    }

    @Test("expired, malformed, wrong-fingerprint, unreachable and already-used tokens are refused saying which, leaving nothing behind")
    func failuresLeaveNothing() async throws {
        try await ClusterFixture.run { f in
            let admin = try f.admin
            let trustedBefore = try await LXDTestBed.trusted("a")
            let closedPort = try Command.freePort()
            let used = try await LXDTestBed.token("a")
            let first = try await f.call(.post, "/api/v1/clusters", as: admin, json: #"{"name":"once","trust_token":"\#(used)"}"#)
            #expect(first.0 == .created)
            let onceID = try #require(first.1["id"]?.string)
            try await f.remove(onceID, as: admin)

            let cases: [(String, String, HTTPResponse.Status, String)] = [
                ("expired", try await Self.altered { $0["expires_at"] = "2020-01-01T00:00:00Z" }, .unprocessableContent, "trust_token_expired"),
                ("malformed", "bm90IGEgdG9rZW4=", .badRequest, "invalid_trust_token"),
                ("fingerprint", try await Self.altered { $0["fingerprint"] = String(repeating: "ab", count: 32) }, .badGateway, "fingerprint_mismatch"),
                ("unreachable", try await Self.altered { $0["addresses"] = ["127.0.0.1:\(closedPort)"] }, .badGateway, "cluster_unreachable"),
                ("used", used, .unprocessableContent, "trust_token_rejected"),
            ]
            for (label, token, status, code) in cases {
                let (got, body) = try await f.call(.post, "/api/v1/clusters", as: admin, json: #"{"name":"bad-\#(label)","trust_token":"\#(token)"}"#)
                #expect(got == status, "\(label): \(body)")
                #expect(body["error"]?["code"]?.string == code, "\(label): \(body)")
                #expect(body["error"]?["message"]?.string?.isEmpty == false)
            }
            #expect(try await f.clusterRows() == 0)
            #expect(try await f.clusterSecrets().isEmpty)
            #expect(try await LXDTestBed.trusted("a") == trustedBefore)
            let failures = try await f.audited("cluster.register").filter { $0.result == "failure" }
            #expect(failures.count == 4, "the malformed token is refused before registration starts")
        }
    }

    @Test("a failure at commit, after the server trusted us and the secret was written, takes all three back and revokes the certificate")
    func lateFailureIsUndone() async throws {
        try await ClusterFixture.run { f in
            let admin = try f.admin
            let trustedBefore = try await LXDTestBed.trusted("a")
            try await f.h.sql { client in
                try await client.query("""
                    CREATE FUNCTION refuse_cluster() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused by test'; END $$
                    """, logger: Logger(label: "test"))
                // Deferred: it fires at COMMIT, after the row and the secret were written.
                try await client.query("""
                    CREATE CONSTRAINT TRIGGER refuse AFTER INSERT ON clusters DEFERRABLE INITIALLY DEFERRED
                    FOR EACH ROW EXECUTE FUNCTION refuse_cluster()
                    """, logger: Logger(label: "test"))
            }
            let token = try await LXDTestBed.token("a")
            let (status, _) = try await f.call(.post, "/api/v1/clusters", as: admin, json: #"{"name":"late","trust_token":"\#(token)"}"#)
            #expect(status == .internalServerError)
            #expect(try await LXDTestBed.trusted("a") == trustedBefore)
            #expect(try await f.clusterSecrets().isEmpty)
            let (_, certs) = try await f.call(.get, "/api/v1/pki/certs", as: admin)
            let issued = certs["items"]?.items?.filter { $0["common_name"]?.string == "orcastra-late" } ?? []
            #expect(issued.count == 1)
            #expect(issued.first?["revoked_at"]?.string != nil, "the certificate issued for the failed registration is revoked")
        }
    }

    @Test("an endpoint and a certificate the server already trusts register too; an untrusted one or a wrong fingerprint does not")
    func registerWithCertificate() async throws {
        try await ClusterFixture.run { f in
            let admin = try f.admin
            let (_, issued) = try await f.call(.post, "/api/v1/pki/certs", as: admin, json: #"{"common_name":"brought","ttl_hours":24}"#)
            let certificate = try #require(issued["certificate"]?.string)
            let key = try #require(issued["private_key"]?.string)
            let address = try await LXDTestBed.address("b")
            let fingerprint = try await LXDTestBed.serverFingerprint("b")
            func body(_ fp: String) -> String {
                let escape = { (s: String) in s.replacingOccurrences(of: "\n", with: "\\n") }
                return #"{"name":"brought","endpoint":"https://\#(address)","server_fingerprint":"\#(fp)","client_certificate":"\#(escape(certificate))","client_key":"\#(escape(key))"}"#
            }

            let (untrusted, refusal) = try await f.call(.post, "/api/v1/clusters", as: admin, json: body(fingerprint))
            #expect(untrusted == .unprocessableContent)
            #expect(refusal["error"]?["code"]?.string == "certificate_not_trusted")

            let file = FileManager.default.temporaryDirectory.appendingPathComponent("orc-brought-\(UUID().uuidString).crt")
            try certificate.write(to: file, atomically: true, encoding: .utf8)
            defer { try? FileManager.default.removeItem(at: file) }
            try await LXDTestBed.lxc("b", ["config", "trust", "add", file.path])

            let (mismatch, wrong) = try await f.call(.post, "/api/v1/clusters", as: admin, json: body(String(repeating: "0", count: 64)))
            #expect(mismatch == .badGateway)
            #expect(wrong["error"]?["code"]?.string == "fingerprint_mismatch")

            let (created, cluster) = try await f.call(.post, "/api/v1/clusters", as: admin, json: body(fingerprint))
            #expect(created == .created, "\(cluster)")
            let id = try #require(cluster["id"]?.string)
            let brought = try #require(cluster["client_fingerprint"]?.string)
            #expect(try await f.call(.get, "/api/v1/clusters/\(id)/status", as: admin).1["reachable"]?.bool == true)
            try await f.remove(id, as: admin)
            #expect(try await LXDTestBed.trusted("b").contains(brought), "the operator's own certificate stays trusted on the server")
            #expect(try await f.clusterSecrets().isEmpty)
            try await LXDTestBed.lxc("b", ["config", "trust", "remove", brought])
        }
    }

    @Test("a partner sees only the clusters they registered; a tenant sees no cluster (404 on one by id, 403 on registering) and an empty instance list")
    func roles() async throws {
        // The test bed is on loopback, which only admins may register; this test is about who
        // sees what, so it lets partners reach loopback.
        try await ClusterFixture.run(configure: ClusterFixture.partnersMayUseLoopback) { f in
            let partner1 = try f.token("partner-1", role: "partner")
            let partner2 = try f.token("partner-2", role: "partner")
            let tenant = try f.token("tenant-1", role: "tenant")
            let admin = try f.admin
            // The longest name LXD's rules allow also fits our certificate's common name.
            let id = try await f.register("a", name: "p1-" + String(repeating: "x", count: 60), as: partner1)

            #expect(try await f.call(.get, "/api/v1/clusters", as: partner1).1["items"]?.items?.count == 1)
            #expect(try await f.call(.get, "/api/v1/clusters", as: partner2).1["items"]?.items?.count == 0)
            #expect(try await f.call(.get, "/api/v1/clusters/\(id)", as: partner2).0 == .notFound)
            #expect(try await f.call(.delete, "/api/v1/clusters/\(id)", as: partner2).0 == .notFound)
            #expect(try await f.call(.get, "/api/v1/clusters/\(id)/instances", as: partner2).0 == .notFound)
            let (_, partner2List) = try await f.call(.get, "/api/v1/instances", as: partner2)
            #expect(partner2List["clusters"]?.items?.isEmpty == true)
            #expect(try await f.call(.get, "/api/v1/clusters", as: admin).1["items"]?.items?.count == 1)

            // A tenant's cluster list is empty; another's cluster is a 404, never a 403.
            let (tenantClusters, tenantClusterList) = try await f.call(.get, "/api/v1/clusters", as: tenant)
            #expect(tenantClusters == .ok && tenantClusterList["items"]?.items?.isEmpty == true)
            #expect(try await f.call(.get, "/api/v1/clusters/\(id)", as: tenant).0 == .notFound)
            #expect(try await f.call(.post, "/api/v1/clusters", as: tenant, json: #"{"name":"x","trust_token":"y"}"#).0 == .forbidden)
            let (tenantStatus, tenantList) = try await f.call(.get, "/api/v1/instances", as: tenant)
            #expect(tenantStatus == .ok)
            #expect(tenantList["items"]?.items?.isEmpty == true)
            #expect(tenantList["clusters"]?.items?.isEmpty == true)
            try await f.remove(id, as: partner1)
        }
    }
}
