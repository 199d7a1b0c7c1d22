import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL
import OrcastraRuntime

/// THE code that speaks the LXD/Incus REST API: every call to a cluster goes through here, and
/// the rest of the API only sees its typed verbs (`server()`, `instances()`,
/// `createInstance(_:)`, `wait(_:until:)`, …, in the `ClusterDriver+…` files beside this one).
///
/// Shaped like LXD's own Go client: one value per server, `useProject(_:)` returning a copy
/// scoped to one LXD project, and changes returned as the id of the LXD operation they started
/// (nil when LXD finished at once), which the caller waits on.
///
/// Calls use the cluster's client certificate (mTLS) and accept exactly one server
/// certificate, the one pinned at registration (`PinnedHTTPS`), so a server presenting any
/// other certificate fails the handshake. Each call has a deadline; LXD's error bodies become
/// `ClusterError.server` with LXD's own message.
struct ClusterDriver: Sendable {
    /// `https://host:port`, no trailing slash.
    let endpoint: String
    let https: PinnedHTTPS
    /// The deadline of one call, connection included.
    let timeout: Duration

    init(endpoint: String, credentials: ClusterCredentials, connectTimeout: Duration, timeout: Duration) throws {
        self.endpoint = endpoint
        self.https = try PinnedHTTPS(address: String(endpoint.dropFirst("https://".count)), tls: try credentials.tlsConfiguration(),
                                     fingerprint: try ClusterCredentials.fingerprint(pem: credentials.serverCertificatePEM), connectTimeout: connectTimeout)
        self.timeout = timeout
    }

    /// The same server with another deadline (the aggregated list uses a short one).
    func with(timeout: Duration) -> ClusterDriver {
        var copy = self
        copy.timeoutOverride = timeout
        return copy
    }
    private var timeoutOverride: Duration?
    private var deadline: Duration { self.timeoutOverride ?? self.timeout }

    /// The LXD project that project-scoped verbs (instances, snapshots, profiles, networks,
    /// images) act in.
    private(set) var project = "default"

    /// The same server, acting in `project` (LXD's `UseProject`).
    func useProject(_ project: String) -> ClusterDriver {
        var copy = self
        copy.project = project
        return copy
    }

    /// The `project` query parameter of project-scoped calls.
    var inProject: [String: String] { ["project": self.project] }

    /// A sync call's metadata: the REST call the verbs in this folder are built from, and
    /// nothing outside it uses (`ArchitectureTests` checks).
    func restGet<M: Decodable>(_ path: String, query: [String: String] = [:], as type: M.Type = M.self) async throws -> M {
        let envelope: LXD.Envelope<M> = try await self.call(.GET, path, query: query)
        guard let metadata = envelope.metadata else { throw ClusterError.badResponse("\(path) returned no metadata") }
        return metadata
    }

    /// A call that may start an operation: its id when LXD answered `async`, nil for `sync`.
    /// Like `restGet`, for the verbs in this folder only.
    @discardableResult
    func restSend(_ method: HTTPMethod, _ path: String, query: [String: String] = [:], body: (any Encodable & Sendable)? = nil) async throws -> String? {
        let envelope: LXD.Envelope<LXD.Ignored> = try await self.call(method, path, query: query, body: body)
        guard envelope.type == "async" else { return nil }
        guard let operation = envelope.operation, let id = operation.split(separator: "/").last else {
            throw ClusterError.badResponse("\(path) started an operation without naming it")
        }
        return String(id)
    }

    /// Path segments (instance, snapshot and operation names) escaped for a URL.
    static func escape(_ segment: String) -> String {
        segment.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/?#"))) ?? segment
    }

    private func call<M: Decodable>(_ method: HTTPMethod, _ path: String, query: [String: String] = [:], body: (any Encodable & Sendable)? = nil) async throws -> LXD.Envelope<M> {
        // `path` is already escaped (segments go through `escape`), so it is set as it is.
        var components = URLComponents()
        components.percentEncodedPath = path
        if !query.isEmpty { components.queryItems = query.sorted { $0.key < $1.key }.map { URLQueryItem(name: $0.key, value: $0.value) } }
        guard let target = components.string else { throw ClusterError.badResponse("cannot form a URL for \(path)") }
        let payload = try body.map { try JSONEncoder().encode($0) }
        let response: PinnedHTTPS.Response
        do {
            response = try await self.https.send(method, target, body: payload, deadline: self.deadline)
        } catch let error as ClusterError {
            throw error
        } catch {
            throw Self.classify(error)
        }
        let status = response.status
        let envelope: LXD.Envelope<M>
        do {
            envelope = try JSONDecoder().decode(LXD.Envelope<M>.self, from: response.body)
        } catch {
            if status >= 400 { throw ClusterError.server(status: status, message: "HTTP \(status) without an LXD error body") }
            throw ClusterError.badResponse("\(path): \(error)")
        }
        if envelope.type == "error" || status >= 400 {
            throw ClusterError.server(status: envelope.errorCode ?? status, message: envelope.error ?? "HTTP \(status)")
        }
        return envelope
    }

    /// Connection failures arrive as NIO or BoringSSL errors of many types; TLS ones say so,
    /// the rest are put in a person's words ("127.0.0.1:8443: Connection refused").
    static func classify(_ error: any Error, at address: String? = nil) -> ClusterError {
        let text = String(describing: error)
        if error is NIOSSLError || text.contains("SSL") || text.contains("TLS") || text.contains("certificate") { return .tls(text) }
        var reason = text
        if let match = text.firstMatch(of: /errno: (\d+)/), let code = Int32(match.1) { reason = String(cString: strerror(code)) }
        return .unreachable(address.map { "\($0): \(reason)" } ?? reason)
    }
}

extension LXD {
    /// For calls whose metadata Orcastra does not read.
    struct Ignored: Decodable {
        init(from decoder: any Decoder) throws {}
    }
}
