import HTTPTypes
import Logging
import NIOHTTP1
import OrcastraRuntime

/// Which requests the direct relay carries, and the head the API gets for each.
///
/// Only what the router's proxy would forward as it is, decided from the request's head with
/// nothing to wait for: a call under `/api/v1/` (the public health path aside) by GET, POST,
/// PUT, PATCH or DELETE, without a body or with one of declared length up to 64 KiB, keeping
/// the connection and its protocol, from the dashboard's origin when it changes something,
/// whose session memory may vouch for without reading Redis (`SessionVault.trusted`) and whose
/// access token is not yet due for refresh, from an address the probe blocker has lately found
/// clear. Everything else (no session or one to read, a refresh due, a refusal to give, a
/// streamed upload, a WebSocket, HEAD, OPTIONS) goes to the router, which answers it as
/// before: the relay never refuses anything itself.
struct RelayRoute: Sendable {
    let upstream: UpstreamPool
    let vault: SessionVault
    let skew: Duration
    let clientIP: ClientIPPolicy
    let probes: ProbeBlockMiddleware?
    let publicOrigin: String
    /// The `Server` header, as Hummingbird writes it on the router's answers.
    let serverName: String
    let accessLog: AccessLogMiddleware
    let logger: Logger

    static let methods: Set<HTTPRequest.Method> = [.get, .post, .put, .patch, .delete]

    /// A request the relay carries.
    struct Plan {
        var head: HTTPRequestHead
        var method: HTTPRequest.Method
        /// The declared body length (0: none).
        var bodyLength: Int
        var cookieID: String
        var requestID: String
        /// What the access line reports besides status and size (an error's code).
        var state: RequestState
        var line: AccessLogMiddleware.PendingLine
    }

    /// The Redis key of the session cookie last seen on one browser connection: a browser sends
    /// the same cookie with every request, so its SHA-256 is taken once per connection.
    struct KeyMemo {
        private var cookieID = ""
        private var key = ""

        mutating func key(for cookieID: String) -> String {
            if cookieID != self.cookieID {
                (self.cookieID, self.key) = (cookieID, SessionVault.redisKey(cookieID))
            }
            return self.key
        }
    }

    /// The plan for `request` from the browser at `peer`, or nil when the router answers it.
    func plan(_ request: HTTPRequest, peer: String?, start: ContinuousClock.Instant, keys: inout KeyMemo) -> Plan? {
        guard Self.methods.contains(request.method), let target = request.path, target.hasPrefix(APIProxy.prefix),
              !target.utf8.contains(UInt8(ascii: "#")) else { return nil }
        let path: String, query: String?
        if let mark = target.utf8.firstIndex(of: UInt8(ascii: "?")) {
            path = String(target[..<mark])
            query = String(target[target.index(after: mark)...])
        } else {
            (path, query) = (target, nil)
        }
        guard path != APIProxy.healthPath, path.utf8.count > APIProxy.prefix.utf8.count else { return nil }
        let fields = request.headerFields
        // A streamed upload, a connection to close, a protocol switch (WebSocket): the router's.
        guard fields[.transferEncoding] == nil, fields[.upgrade] == nil,
              fields[.connection].map({ !$0.lowercased().contains("close") }) ?? true else { return nil }
        var length = 0
        if let declared = fields[.contentLength] {
            guard let n = Int(declared), n >= 0, n <= UpstreamHandler.wholeLimit, n == 0 || request.method != .get else { return nil }
            length = n
        }
        guard SameOrigin.allows(request.method, origin: fields[.origin], publicOrigin: self.publicOrigin),
              let cookieID = SessionVault.cookieID(in: fields), cookieID.utf8.count == 43,
              let (session, apiSession) = self.vault.trusted(key: keys.key(for: cookieID)),
              !session.needsRefresh(skew: self.skew) else { return nil }
        let client = self.clientIP.resolve(peer: peer) { name in HTTPField.Name(name).flatMap { fields[$0] } }
        if let probes = self.probes, !probes.clearInMemory(path: path, ip: client.ip) { return nil }

        let requestID = RequestID.resolve(fields[RequestID.header])
        var head = ProxyHeaders.requestHead(
            request.method, path: path, query: query, headers: fields, authority: request.authority,
            endpoint: self.upstream.endpoint, requestID: requestID,
            credentials: .init(accessToken: session.accessToken, apiSession: apiSession), clientIP: client.ip)
        if request.method != .get { head.headers.add(name: "Content-Length", value: String(length)) }
        let state = RequestState()
        state.requestID = requestID
        let line = AccessLogMiddleware.PendingLine(
            middleware: self.accessLog, method: request.method, path: path, query: query, headers: fields, client: client,
            state: state, start: start, requestBytes: length)
        return Plan(head: head, method: request.method, bodyLength: length, cookieID: cookieID, requestID: requestID, state: state, line: line)
    }
}
