import Foundation
import HTTPTypes
import Hummingbird
import Synchronization

@testable import OrcastraAPI

/// A Vault-API-compatible test server, because Vault itself cannot run here.
///
/// It follows the documented shapes of the parts Orcastra uses — HashiCorp's API docs for
/// KV v2 (developer.hashicorp.com/vault/api-docs/secret/kv/kv-v2: `data/` read and write with
/// `options.cas`, `metadata/` LIST and DELETE) and `sys/health`
/// (developer.hashicorp.com/vault/api-docs/system/health: 200 active, 429 standby,
/// 472/473 DR/performance standby, 501 uninitialised, 503 sealed), the token in
/// `X-Vault-Token`, errors as `{"errors":[…]}`, an empty LIST as 404 with no errors, and a
/// CAS mismatch as 400 "check-and-set parameter did not match the current version".
final class FakeVault: Sendable {
    enum Mode: Sendable { case active, standby, sealed, uninitialized }

    /// One stored version; the data is kept as JSON bytes so the state stays Sendable.
    struct Version: Sendable { var json: Data; var created: Date }

    let token: String
    private let state = Mutex<State>(State())

    struct State {
        var mode = Mode.active
        var delay: Duration = .zero
        var denied: [String] = []
        /// Requests that got past the delay, i.e. were answered.
        var answered = 0
        var secrets: [String: [Version]] = [:]
        /// serial → (certificate PEM, revocation time or 0)
        var certificates: [String: (String, Int)] = [:]
    }

    /// The PKI engine's CA: a root and the intermediate mounted at `pki_int`.
    let root: CertificateBuilder.Signer
    let intermediate: CertificateBuilder.Signer

    init(token: String = "test-root-token") {
        self.token = token
        self.root = try! CertificateBuilder.root(commonName: "Fake Vault Root", years: 2)
        self.intermediate = try! CertificateBuilder.intermediate(commonName: "Fake Vault Intermediate", years: 1, issuer: self.root)
    }

    var mode: Mode {
        get { self.state.withLock { $0.mode } }
        set { self.state.withLock { $0.mode = newValue } }
    }

    /// How many requests were answered (after any delay).
    var answered: Int { self.state.withLock { $0.answered } }

    /// Every answer waits this long first (for client timeouts).
    func setDelay(_ delay: Duration) { self.state.withLock { $0.delay = delay } }

    /// Paths under these prefixes (e.g. `secret/data/orcastra`) answer 403, as a policy would.
    func deny(_ prefix: String) { self.state.withLock { $0.denied.append(prefix) } }

    func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.get("/v1/sys/health") { _, _ in try await self.health() }
        for method in [HTTPRequest.Method.get, .post, .put, .delete, HTTPRequest.Method("LIST")!] {
            router.on("/v1/secret/**", method: method) { request, context in
                let path = context.parameters.getCatchAll().joined(separator: "/")
                if let refused = try await self.gate(request, "secret/" + path) { return refused }
                return try await self.kv(request, path: path)
            }
            router.on("/v1/pki_int/**", method: method) { request, context in
                let path = context.parameters.getCatchAll().joined(separator: "/")
                if let refused = try await self.gate(request, "pki_int/" + path) { return refused }
                return try await self.pki(request, path: path)
            }
        }
        return router
    }

    private func health() async throws -> Response {
        try await Task.sleep(for: self.state.withLock { $0.delay })
        let (status, sealed, initialized, standby): (HTTPResponse.Status, Bool, Bool, Bool) =
            switch self.mode {
            case .active: (.ok, false, true, false)
            case .standby: (.tooManyRequests, false, true, true)
            case .sealed: (.serviceUnavailable, true, true, true)
            case .uninitialized: (.notImplemented, true, false, true)
            }
        return Self.json(status, ["initialized": initialized, "sealed": sealed, "standby": standby, "version": "1.15.0"])
    }

    /// What Vault checks before any engine sees the request: delay, seal, token, policy.
    private func gate(_ request: Request, _ fullPath: String) async throws -> Response? {
        try await Task.sleep(for: self.state.withLock { $0.delay })
        self.state.withLock { $0.answered += 1 }
        if self.mode == .sealed || self.mode == .uninitialized { return Self.errors(.serviceUnavailable, ["Vault is sealed"]) }
        guard request.headers[HTTPField.Name("X-Vault-Token")!] == self.token else { return Self.errors(.forbidden, ["permission denied"]) }
        if self.state.withLock({ s in s.denied.contains { fullPath.hasPrefix($0) } }) {
            return Self.errors(.forbidden, ["1 error occurred:\n\t* permission denied\n\n"])
        }
        return nil
    }

    /// PKI engine: issue with a role, list, read one certificate or the CA, revoke.
    private func pki(_ request: Request, path: String) async throws -> Response {
        let isList = request.method.rawValue == "LIST" || request.uri.queryParameters["list"] == "true"
        if path.hasPrefix("issue/"), request.method == .post || request.method == .put {
            guard path == "issue/lxd" else { return Self.errors(.badRequest, ["unknown role: \(path.dropFirst(6))"]) }
            let json = try JSONSerialization.jsonObject(with: Data(buffer: try await request.body.collect(upTo: 1 << 20))) as? [String: Any] ?? [:]
            let sans = ((json["alt_names"] as? String) ?? "").split(separator: ",").map(String.init)
                + ((json["ip_sans"] as? String) ?? "").split(separator: ",").map(String.init)
            let seconds = Int(((json["ttl"] as? String) ?? "3600s").dropLast()) ?? 3600
            guard let cn = json["common_name"] as? String,
                  let certRequest = try? CertificateRequest(commonName: cn, sans: sans, ttl: .seconds(seconds)) else {
                return Self.errors(.badRequest, ["invalid request"])
            }
            let (leaf, key) = try CertificateBuilder.leaf(certRequest, issuer: self.intermediate)
            let serial = CertificateBuilder.serial(leaf)
            let pem = try leaf.serializeAsPEM().pemString
            self.state.withLock { $0.certificates[serial] = (pem, 0) }
            let chain = [try self.intermediate.certificate.serializeAsPEM().pemString, try self.root.certificate.serializeAsPEM().pemString]
            return Self.json(.ok, ["data": [
                "certificate": pem, "issuing_ca": chain[0], "ca_chain": chain, "private_key": key.pemRepresentation,
                "private_key_type": "ec", "serial_number": serial, "expiration": Int(leaf.notValidAfter.timeIntervalSince1970),
            ]])
        }
        if path == "certs", isList {
            let keys = self.state.withLock { Array($0.certificates.keys) }.sorted()
            return keys.isEmpty ? Self.errors(.notFound, []) : Self.json(.ok, ["data": ["keys": keys]])
        }
        if path == "cert/ca", request.method == .get {
            return Self.json(.ok, ["data": ["certificate": try self.intermediate.certificate.serializeAsPEM().pemString]])
        }
        if path.hasPrefix("cert/"), request.method == .get {
            guard let (pem, revoked) = self.state.withLock({ $0.certificates[String(path.dropFirst(5))] }) else {
                return Self.errors(.notFound, [])
            }
            return Self.json(.ok, ["data": ["certificate": pem, "revocation_time": revoked]])
        }
        if path == "revoke", request.method == .post {
            let json = try JSONSerialization.jsonObject(with: Data(buffer: try await request.body.collect(upTo: 1 << 20))) as? [String: Any] ?? [:]
            let serial = json["serial_number"] as? String ?? ""
            let now = Int(Date().timeIntervalSince1970)
            let found = self.state.withLock { s -> Bool in
                guard let (pem, revoked) = s.certificates[serial] else { return false }
                s.certificates[serial] = (pem, revoked > 0 ? revoked : now)
                return true
            }
            return found ? Self.json(.ok, ["data": ["revocation_time": now]]) : Self.errors(.badRequest, ["certificate with serial \(serial) not found"])
        }
        return Self.errors(.methodNotAllowed, ["unsupported operation"])
    }

    private func kv(_ request: Request, path: String) async throws -> Response {
        let parts = path.split(separator: "/", maxSplits: 1).map(String.init)
        guard parts.count == 2 else { return Self.errors(.notFound, []) }
        let (kind, key) = (parts[0], parts[1])
        let isList = request.method.rawValue == "LIST" || request.uri.queryParameters["list"] == "true"
        switch (kind, request.method) {
        case ("data", .get):
            guard let latest = self.state.withLock({ $0.secrets[key]?.last }) else { return Self.errors(.notFound, []) }
            let version = self.state.withLock { $0.secrets[key]!.count }
            let data = try JSONSerialization.jsonObject(with: latest.json)
            return Self.json(.ok, ["data": ["data": data, "metadata": Self.metadata(version: version, created: latest.created)]])
        case ("data", .post), ("data", .put):
            let body = try await request.body.collect(upTo: 1 << 20)
            guard let json = try JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any],
                  let data = json["data"] as? [String: Any] else { return Self.errors(.badRequest, ["no data provided"]) }
            let cas = (json["options"] as? [String: Any])?["cas"] as? Int
            let stored = Version(json: try JSONSerialization.data(withJSONObject: data), created: Date())
            let result: Int? = self.state.withLock { s in
                let current = s.secrets[key]?.count ?? 0
                if let cas, cas != current { return nil }
                s.secrets[key, default: []].append(stored)
                return current + 1
            }
            guard let version = result else { return Self.errors(.badRequest, ["check-and-set parameter did not match the current version"]) }
            return Self.json(.ok, ["data": Self.metadata(version: version, created: Date())])
        case ("metadata", .get) where isList, ("metadata", HTTPRequest.Method("LIST")!):
            let prefix = key.hasSuffix("/") ? key : key + "/"
            let keys = self.state.withLock { s in
                Set(s.secrets.keys.filter { $0.hasPrefix(prefix) }.map { path -> String in
                    let rest = path.dropFirst(prefix.count)
                    return rest.firstIndex(of: "/").map { String(rest[..<$0]) + "/" } ?? String(rest)
                })
            }
            if keys.isEmpty { return Self.errors(.notFound, []) }
            return Self.json(.ok, ["data": ["keys": keys.sorted()]])
        case ("metadata", .get):
            guard let count = self.state.withLock({ $0.secrets[key]?.count }) else { return Self.errors(.notFound, []) }
            return Self.json(.ok, ["data": ["current_version": count, "oldest_version": 1, "max_versions": 0]])
        case ("metadata", .delete):
            self.state.withLock { _ = $0.secrets.removeValue(forKey: key) }
            return Response(status: .noContent)
        default:
            return Self.errors(.methodNotAllowed, ["unsupported operation"])
        }
    }

    /// Vault's created_time carries nanoseconds.
    private static func metadata(version: Int, created: Date) -> [String: Any] {
        let base = created.formatted(.iso8601.year().month().day().time(includingFractionalSeconds: false).timeZone(separator: .omitted))
        let nanos = String(format: "%09d", Int(created.timeIntervalSince1970.truncatingRemainder(dividingBy: 1) * 1_000_000_000))
        return ["created_time": base.replacingOccurrences(of: "Z", with: ".\(nanos)Z"), "deletion_time": "", "destroyed": false, "version": version]
    }

    private static func json(_ status: HTTPResponse.Status, _ object: [String: Any]) -> Response {
        let data = try! JSONSerialization.data(withJSONObject: object)
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: .init(bytes: data)))
    }

    private static func errors(_ status: HTTPResponse.Status, _ errors: [String]) -> Response {
        json(status, ["errors": errors])
    }
}
