import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import OrcastraRuntime
import OrcastraTestSupport
import PostgresNIO
import Testing

@testable import OrcastraAPI

/// The API against the two real LXD daemons of the test bed, with helpers to register them,
/// follow operations and check what each side holds.
struct ClusterFixture: Sendable {
    let h: AuthHarness
    let client: any TestClientProtocol

    /// The aggregated list's per-cluster deadline in these tests.
    static let listTimeout: Duration = .seconds(2)

    static func run(configure: @Sendable @escaping (inout ClusterSettings) -> Void = { _ in },
                    api: @Sendable @escaping (inout APIConfig) -> Void = { _ in },
                    _ body: @Sendable (ClusterFixture) async throws -> Void) async throws {
        try await AuthHarness.run(configure: {
            $0.clusters.listTimeout = Self.listTimeout
            configure(&$0.clusters)
            api(&$0)
        }) { h, client in
            try await body(ClusterFixture(h: h, client: client))
        }
    }

    /// The address policy with loopback lifted, so a partner may register the loopback test
    /// bed or a `FakeLXD` (no setting does this: `CLUSTER_ALLOWED_CIDRS` opens private ranges only).
    static let partnersMayUseLoopback: @Sendable (inout ClusterSettings) -> Void = {
        $0.addresses = ClusterAddressPolicy(refused: ClusterAddressPolicy.alwaysRefused.filter { $0.description != "127.0.0.0/8" })
    }

    /// The id `/api/v1/me` gives the holder of `bearer` (creating the user on first sight).
    func userID(_ bearer: String) async throws -> String {
        let (status, me) = try await self.call(.get, "/api/v1/me", as: bearer)
        #expect(status == .ok, "\(me)")
        return try #require(me["id"]?.string)
    }

    /// A trust token naming `addresses`, `fingerprint` and `secret`, as LXD would print one.
    static func token(addresses: [String], fingerprint: String, secret: String = "s3cret") -> String {
        let fields: [String: Any] = ["client_name": "orcastra", "fingerprint": fingerprint, "addresses": addresses,
                                     "secret": secret, "expires_at": "0001-01-01T00:00:00Z"]
        return (try? JSONSerialization.data(withJSONObject: fields))?.base64EncodedString() ?? ""
    }

    /// POST /api/v1/clusters with a token; answers status, body and the response headers.
    func registerToken(_ token: String, name: String, as bearer: String) async throws -> (HTTPResponse.Status, JSONValue, HTTPFields) {
        var fields: HTTPFields = [.authorization: "Bearer " + bearer, .contentType: "application/json"]
        fields[.accept] = "application/json"
        return try await self.client.execute(uri: "/api/v1/clusters", method: .post, headers: fields,
                                             body: ByteBuffer(string: #"{"name":"\#(name)","trust_token":"\#(token)"}"#)) { response async throws in
            let text = String(buffer: response.body)
            return (response.status, text.isEmpty ? .null : try JSONValue.parse(text), response.headers)
        }
    }

    func token(_ subject: String, role: String) throws -> String {
        try self.h.issuer.token(self.h.issuer.claims(subject: subject, groups: ["role_\(role)"]))
    }

    var admin: String { get throws { try self.token("admin-1", role: "admin") } }

    /// Calls the API; answers the status and the parsed body (null for an empty one).
    @discardableResult
    func call(_ method: HTTPRequest.Method, _ path: String, as bearer: String, json: String? = nil) async throws -> (HTTPResponse.Status, JSONValue) {
        let (status, data) = try await self.client.call(method, path, bearer: bearer, json: json)
        return (status, data.isEmpty ? .null : try JSONValue.parse(String(decoding: data, as: UTF8.self)))
    }

    /// Registers daemon `daemon` with a fresh token; returns the cluster id.
    func register(_ daemon: String, name: String, as bearer: String) async throws -> String {
        let token = try await LXDTestBed.token(daemon)
        let (status, body) = try await self.call(.post, "/api/v1/clusters", as: bearer, json: #"{"name":"\#(name)","trust_token":"\#(token)"}"#)
        #expect(status == .created, "registering \(daemon): \(body)")
        return try #require(body["id"]?.string)
    }

    /// Removes a cluster (and our certificate from its trust store).
    func remove(_ id: String, as bearer: String) async throws {
        let (status, body) = try await self.call(.delete, "/api/v1/clusters/\(id)", as: bearer)
        #expect(status == .noContent, "\(body)")
    }

    /// Registers both daemons, runs `body` with their ids, removes them however it ends.
    func withBoth(as bearer: String, _ body: (String, String) async throws -> Void) async throws {
        let a = try await self.register("a", name: "lxd-a", as: bearer)
        let b = try await self.register("b", name: "lxd-b", as: bearer)
        do {
            try await body(a, b)
        } catch {
            try? await self.remove(a, as: bearer)
            try? await self.remove(b, as: bearer)
            throw error
        }
        try await self.remove(a, as: bearer)
        try await self.remove(b, as: bearer)
    }

    /// Starts a change (202) and follows its operation to the end; returns the final operation.
    @discardableResult
    func operate(_ method: HTTPRequest.Method, _ path: String, as bearer: String, json: String? = nil) async throws -> JSONValue {
        let (status, started) = try await self.call(method, path, as: bearer, json: json)
        #expect(status == .accepted, "\(method) \(path): \(started)")
        let id = try #require(started["id"]?.string, "\(started)")
        return try await self.follow(id, as: bearer)
    }

    func follow(_ id: String, as bearer: String) async throws -> JSONValue {
        let deadline = ContinuousClock.now + .seconds(90)
        while ContinuousClock.now < deadline {
            let (_, operation) = try await self.call(.get, "/api/v1/operations/\(id)", as: bearer)
            if operation["status"]?.string != "running" { return operation }
            try await Task.sleep(for: .milliseconds(200))
        }
        Issue.record("operation \(id) did not end within 90 s")
        return .null
    }

    /// Audit actions recorded, oldest first, with their result.
    func audited(_ prefix: String) async throws -> [(action: String, result: String, target: String?, host: String?, project: String?)] {
        try await self.h.sql { client in
            let rows = try await client.query(
                """
                SELECT action, result, body::jsonb->'entry'->'target'->>'id', body::jsonb->'entry'->'target'->>'host', body::jsonb->'entry'->'target'->>'project'
                FROM audit_events
                WHERE action LIKE \(prefix + "%") ORDER BY seq
                """, logger: Logger(label: "test"))
            var found: [(action: String, result: String, target: String?, host: String?, project: String?)] = []
            for try await row in rows.decode((String, String, String?, String?, String?).self) { found.append(row) }
            return found
        }
    }

    /// Paths under `clusters/` in the embedded secret store.
    func clusterSecrets() async throws -> [String] {
        try await self.h.sql { client in
            try await client.query("SELECT path FROM secrets WHERE path LIKE 'clusters/%'", logger: Logger(label: "test")).decode(String.self).all()
        }
    }

    func clusterRows() async throws -> Int {
        try await self.h.sql { client in
            try await client.query("SELECT count(*)::int FROM clusters", logger: Logger(label: "test")).decode(Int.self).all().first ?? -1
        }
    }
}

/// A unique instance name for this run (the daemons are shared between tests).
func instanceName(_ stem: String) -> String {
    "\(stem)-\(UUID().uuidString.prefix(8).lowercased())"
}
