import Foundation
import HTTPTypes
import Hummingbird
import Synchronization

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
        var secrets: [String: [Version]] = [:]
    }

    init(token: String = "test-root-token") {
        self.token = token
    }

    var mode: Mode {
        get { self.state.withLock { $0.mode } }
        set { self.state.withLock { $0.mode = newValue } }
    }

    /// Every answer waits this long first (for client timeouts).
    func setDelay(_ delay: Duration) { self.state.withLock { $0.delay = delay } }

    /// Paths under these prefixes (e.g. `secret/data/orcastra`) answer 403, as a policy would.
    func deny(_ prefix: String) { self.state.withLock { $0.denied.append(prefix) } }

    func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.get("/v1/sys/health") { _, _ in try await self.health() }
        for method in [HTTPRequest.Method.get, .post, .put, .delete, HTTPRequest.Method("LIST")!] {
            router.on("/v1/secret/**", method: method) { request, context in
                try await self.kv(request, path: context.parameters.getCatchAll().joined(separator: "/"))
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

    private func kv(_ request: Request, path: String) async throws -> Response {
        try await Task.sleep(for: self.state.withLock { $0.delay })
        if self.mode == .sealed || self.mode == .uninitialized { return Self.errors(.serviceUnavailable, ["Vault is sealed"]) }
        guard request.headers[HTTPField.Name("X-Vault-Token")!] == self.token else { return Self.errors(.forbidden, ["permission denied"]) }
        if self.state.withLock({ s in s.denied.contains { ("secret/" + path).hasPrefix($0) } }) {
            return Self.errors(.forbidden, ["1 error occurred:\n\t* permission denied\n\n"])
        }
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
