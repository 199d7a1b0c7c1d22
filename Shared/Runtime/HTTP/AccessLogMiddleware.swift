import Foundation
import HTTPTypes
import Hummingbird
import Logging
import OrcastraModels
import Synchronization

/// Writes one `log_type: "access"` line per request with the access fields of
/// Services/README.md (Logs); echoes the request id in `X-Request-ID`.
///
/// A streamed, unsized or large body is logged after it has been sent, with the bytes that
/// really went out. A small body of declared length (`wholeLimit`: nearly every answer, JSON)
/// is logged as the response leaves the handlers, with that length: wrapping it to see the end
/// of the write would cost the server its one-write fast path for a body in one buffer
/// (head, body and end in a single system call instead of three writes).
///
/// It must be the outermost middleware so that it sees the final status (errors already
/// turned into responses) and the real number of bytes written, streamed bodies included.
public struct AccessLogMiddleware: RouterMiddleware {
    public typealias Context = AppRequestContext
    let service: String
    let version: String
    let clientIP: ClientIPPolicy
    let sink: LogSink
    let json: Bool

    public init(config: ServiceConfig, sink: LogSink) {
        self.service = config.serviceName
        self.version = config.version
        self.clientIP = config.clientIP
        self.sink = sink
        self.json = config.jsonLogs
    }

    /// Bodies of a declared length up to this are logged when the response is handed over.
    static let wholeLimit = 64 * 1024

    /// Query parameters whose values are secrets (OIDC codes, tokens) and never reach a log.
    static let secretParameters: Set<String> = [
        "code", "state", "token", "access_token", "id_token", "refresh_token", "id_token_hint",
        "password", "secret", "client_secret", "api_key", "key", "session", "code_verifier", "trust_token",
    ]

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let requestID = RequestID.resolve(request.headers[RequestID.header])
        context.state.requestID = requestID
        var context = context
        context.logger[metadataKey: "request_id"] = .string(requestID)

        let received = Counter()
        var request = request
        if let declared = request.headers[.contentLength].flatMap({ Int($0) }) {
            received.add(declared)
        } else {
            let body = request.body
            request.body = RequestBody(asyncSequence: body.map { buffer in
                received.add(buffer.readableBytes)
                return buffer
            })
        }

        let line = PendingLine(middleware: self, request: request, context: context, start: start, received: received)
        var response: Response
        do {
            response = try await next(request, context)
        } catch {
            // Only reached if an error escaped ErrorMiddleware; log it, let Hummingbird answer.
            line.emit(status: (error as? any HTTPResponseError)?.status.code ?? 500, sent: 0)
            throw error
        }
        response.headers[RequestID.header] = requestID
        let status = response.status.code
        if let length = response.body.contentLength, length <= Self.wholeLimit {
            line.emit(status: status, sent: length)
            return response
        }
        let sent = Counter()
        let counted = response.body.map { buffer in
            sent.add(buffer.readableBytes)
            return buffer
        }
        response.body = ResponseBody(contentLength: response.body.contentLength) { writer in
            do {
                try await counted.write(writer)
                line.emit(status: status, sent: sent.value)
            } catch {
                line.emit(status: status, sent: sent.value)
                throw error
            }
        }
        return response
    }

    /// Everything known when the request arrived; `emit` completes and writes the line.
    public struct PendingLine: Sendable {
        let middleware: AccessLogMiddleware
        let method: String
        let path: String
        let query: String?
        let client: AccessLogClient
        let state: RequestState
        let start: ContinuousClock.Instant
        let received: Counter

        init(middleware: AccessLogMiddleware, request: Request, context: Context, start: ContinuousClock.Instant, received: Counter) {
            self.init(middleware: middleware, method: request.method, path: request.uri.path, query: request.uri.query,
                      headers: request.headers, client: middleware.clientIP.resolve(request, context: context),
                      state: context.state, start: start, received: received)
        }

        /// For answers written without the router (the gateway's direct relay): the same line
        /// from the request's parts, the client already resolved and the body's size known.
        public init(middleware: AccessLogMiddleware, method: HTTPRequest.Method, path: String, query: String?, headers: HTTPFields,
                    client: ResolvedClient, state: RequestState, start: ContinuousClock.Instant, requestBytes: Int) {
            let received = Counter()
            received.add(requestBytes)
            self.init(middleware: middleware, method: method, path: path, query: query, headers: headers, client: client,
                      state: state, start: start, received: received)
        }

        private init(middleware: AccessLogMiddleware, method: HTTPRequest.Method, path: String, query: String?, headers: HTTPFields,
                     client resolved: ResolvedClient, state: RequestState, start: ContinuousClock.Instant, received: Counter) {
            self.middleware = middleware
            self.method = method.rawValue
            self.path = path
            self.query = AccessLogMiddleware.redacted(query: query)
            self.client = AccessLogClient(
                ip: resolved.ip, proxyIP: resolved.proxyIP, ipSource: resolved.source, proxyTrusted: resolved.proxyTrusted,
                userAgent: headers[.userAgent], origin: headers[.origin]
            )
            self.state = state
            self.start = start
            self.received = received
        }

        public func emit(status: Int, sent: Int) {
            let entry = AccessLogEntry(
                timestamp: Timestamp.now(), requestID: self.state.requestID, service: self.middleware.service,
                version: self.middleware.version, method: self.method, path: self.path, queryParams: self.query,
                statusCode: status, latencyMs: (ContinuousClock.now - self.start).milliseconds(places: 3), requestSize: self.received.value,
                responseSize: sent, user: self.state.user, client: self.client, error: self.state.error, host: .current
            )
            if self.middleware.json {
                self.middleware.sink.write(bytes: entry.jsonLine())
            } else {
                self.middleware.sink.write(line: "\(entry.timestamp) ACCESS \(entry.method) \(entry.path) \(status) \(entry.latencyMs)ms \(sent)B rid=\(entry.requestID) ip=\(entry.client.ip ?? "-")")
            }
        }
    }

    /// The query string with secret parameter values replaced, or nil when there is none.
    static func redacted(query: String?) -> String? {
        guard let query, !query.isEmpty else { return nil }
        return query.split(separator: "&", omittingEmptySubsequences: false).map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = parts[0].removingPercentEncoding?.lowercased() ?? String(parts[0]).lowercased()
            return parts.count == 2 && Self.secretParameters.contains(name) ? "\(parts[0])=[REDACTED]" : String(pair)
        }.joined(separator: "&")
    }
}

/// A byte counter shared between a body stream and the line written after it.
final class Counter: Sendable {
    private let count = Atomic<Int>(0)
    func add(_ n: Int) { self.count.add(n, ordering: .relaxed) }
    var value: Int { self.count.load(ordering: .relaxed) }
}
