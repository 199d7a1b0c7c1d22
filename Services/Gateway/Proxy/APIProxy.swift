import HTTPTypes
import Hummingbird
import NIOCore
import NIOHTTP1
import Foundation
import OrcastraModels
import OrcastraRuntime

/// Forwards `/api/v1/*` to the API for signed-in browsers, streaming bodies both ways.
///
/// Redirects come back to the browser untouched (the client never follows them), hop-by-hop
/// and identity headers a client sent are dropped before ours are added (the session's access
/// token as `Authorization: Bearer`, its id as `X-Orcastra-Session`), the request id is passed
/// on so both services' access lines carry it, and the client address goes as
/// `X-Forwarded-For`. Signed out → 401 JSON, never a redirect: these are API calls. The one
/// exception is `/api/v1/health`, public like the API's own, so uptime monitors can watch the
/// API through the gateway; it is forwarded without credentials.
struct APIProxy {
    let upstream: UpstreamPool
    let clientIP: ClientIPPolicy
    let guardian: SessionGuard
    /// `NEXTAUTH_URL`'s origin: state-changing calls a browser sends from anywhere else are
    /// refused (SameSite=Lax does not stop a sibling subdomain or another port of this host).
    let publicOrigin: String

    /// Everything under this path belongs to the API.
    static let prefix = "/api/v1/"

    static let methods: [HTTPRequest.Method] = [.get, .head, .post, .put, .patch, .delete, .options]

    /// The API's public health path.
    static let healthPath = "/api/v1/health"

    func addRoutes(to router: Router<AppRequestContext>) {
        for method in Self.methods {
            router.on("/api/v1/**", method: method, use: self.forward)
        }
        // A fixed path outranks `**` for every method, so the others are routed here too and
        // keep needing a session, as anywhere under the prefix.
        for method in Self.methods {
            router.on(RouterPath(stringLiteral: Self.healthPath), method: method, use: method == .get || method == .head ? self.health : self.forward)
        }
    }

    /// The API's health as it answers it; no session needed, none sent.
    @Sendable func health(_ request: Request, context: AppRequestContext) async throws -> Response {
        try await self.send(request, context: context, session: nil)
    }

    @Sendable func forward(_ request: Request, context: AppRequestContext) async throws -> Response {
        guard SameOrigin.allows(request, publicOrigin: self.publicOrigin) else {
            throw APIError(.forbidden, code: "cross_origin", message: "Requests that change something must come from the Orcastra dashboard.")
        }
        guard let current = try await self.guardian.current(request, context: context) else {
            throw APIError(.unauthorized, code: "unauthorized", message: "Sign in first: this call needs a session.")
        }
        return try await self.send(request, context: context, session: current)
    }

    /// Sends `request` on to the API, with the session's credentials when there is one.
    func send(_ request: Request, context: AppRequestContext, session current: SessionGuard.Current?) async throws -> Response {
        var head = ProxyHeaders.requestHead(
            request.method, path: request.uri.path, query: request.uri.query, headers: request.headers, authority: request.head.authority,
            endpoint: self.upstream.endpoint, requestID: context.state.requestID, credentials: current.map { .init($0.session) },
            clientIP: self.clientIP.resolve(request, context: context).ip)
        let body: UpstreamPool.Body
        if request.method == .get || request.method == .head {
            body = .none
        } else if let length = request.headers[.contentLength].flatMap({ Int($0) }), length <= Self.wholeBodyLimit {
            head.headers.add(name: "Content-Length", value: String(length))
            body = .whole(try await request.body.collect(upTo: length))
        } else {
            if let length = request.headers[.contentLength] { head.headers.add(name: "Content-Length", value: length) }
            else { head.headers.add(name: "Transfer-Encoding", value: "chunked") }
            body = .stream(request.body)
        }

        let upstream: UpstreamResponse
        do {
            upstream = try await self.upstream.send(head, body: body, idleTimeout: Self.idleTimeout)
        } catch {
            context.logger.warning("API unreachable", metadata: ["error": "\(error)"])
            throw Self.unreachable
        }
        if upstream.head.status == .unauthorized, let current {
            return try await self.unauthorized(upstream, current: current)
        }
        let status = HTTPResponse.Status(code: Int(upstream.head.status.code), reasonPhrase: upstream.head.status.reasonPhrase)
        let headersOut = ProxyHeaders.inbound(from: upstream.head.headers)
        switch upstream.body {
        case .whole(let buffer):
            await upstream.endUpload()
            return Response(status: status, headers: headersOut, body: request.method == .head ? .init() : .init(byteBuffer: buffer))
        case .stream(let chunks):
            let length = upstream.head.headers.first(name: "content-length").flatMap { Int($0) }
            return Response(
                status: status,
                headers: headersOut,
                body: ResponseBody(contentLength: request.method == .head ? nil : length) { writer in
                    do {
                        for try await chunk in chunks { try await writer.write(chunk) }
                    } catch {
                        await upstream.endUpload()
                        throw error
                    }
                    await upstream.endUpload()
                    try await writer.finish(nil)
                }
            )
        }
    }

    /// The answer when the API cannot be reached (here and in the direct relay).
    static let unreachable = APIError(.badGateway, code: "api_unreachable", message: "The Orcastra API did not answer; try again shortly.")

    /// How long the API may stay silent in the middle of an answer (a long export is fine as
    /// long as it keeps sending).
    static let idleTimeout = TimeAmount.seconds(300)

    /// Request bodies up to this size with a declared length are read whole and sent on with
    /// the head in one write; larger or unsized ones stream through as they come (answers are
    /// treated alike, `UpstreamHandler.wholeLimit`). Almost everything is small JSON. It
    /// matters for correctness too: the API may answer before it has read a body (a 413 for
    /// one over its limit); a body sent whole has left before any answer can come, and an
    /// upload still streaming is stopped there (the connection is then closed, not reused).
    static let wholeBodyLimit = UpstreamHandler.wholeLimit

    /// Whether the body of a 401 is the API saying the session has ended.
    static func saysSessionEnded(_ body: ByteBuffer) -> Bool {
        (try? JSONCoding.decoder.decode(ErrorBody.self, from: Data(buffer: body)))?.error.code == "session_ended"
    }

    /// The API refused the session's credentials: if it says the session has ended, the
    /// gateway forgets it too, so the next page asks the browser to sign in.
    func unauthorized(_ upstream: UpstreamResponse, current: SessionGuard.Current) async throws -> Response {
        let body: ByteBuffer
        switch upstream.body {
        case .whole(let whole): body = whole
        case .stream(let chunks):
            do {
                body = try await chunks.collect(upTo: Self.wholeBodyLimit)
            } catch {
                await upstream.endUpload()
                throw APIError(.unauthorized, code: "unauthorized", message: "The API refused this session's credentials.")
            }
        }
        await upstream.endUpload()
        if Self.saysSessionEnded(body) {
            try await self.guardian.vault.delete(current.id)
        }
        return Response(status: .unauthorized, headers: ProxyHeaders.inbound(from: upstream.head.headers), body: .init(byteBuffer: body))
    }
}
