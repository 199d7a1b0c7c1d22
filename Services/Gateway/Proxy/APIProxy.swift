import AsyncHTTPClient
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
    let client: HTTPClient
    let apiURL: String
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
        var target = self.apiURL + request.uri.path
        if let query = request.uri.query, !query.isEmpty { target += "?" + query }
        var outbound = HTTPClientRequest(url: target)
        outbound.method = HTTPMethod(rawValue: request.method.rawValue)
        outbound.headers = ProxyHeaders.outbound(from: request.headers)
        outbound.headers.replaceOrAdd(name: "X-Request-ID", value: context.state.requestID)
        if let current {
            outbound.headers.replaceOrAdd(name: "Authorization", value: "Bearer " + current.session.accessToken)
            outbound.headers.replaceOrAdd(name: "X-Orcastra-Session", value: current.session.apiSessionID.uuidString.lowercased())
        }
        let client = self.clientIP.resolve(request, context: context)
        if let ip = client.ip { outbound.headers.replaceOrAdd(name: "X-Forwarded-For", value: ip) }
        if let host = request.head.authority { outbound.headers.replaceOrAdd(name: "X-Forwarded-Host", value: host) }
        let length = request.headers[.contentLength].flatMap { Int($0) }
        var streamed = false
        if request.method != .get && request.method != .head {
            if let length, length <= Self.wholeBodyLimit {
                outbound.body = .bytes(try await request.body.collect(upTo: length))
            } else {
                outbound.body = .stream(request.body, length: length.map { .known(Int64($0)) } ?? .unknown)
                streamed = true
            }
        }

        let upstream: HTTPClientResponse
        do {
            upstream = try await self.client.execute(outbound, timeout: .seconds(300))
        } catch {
            context.logger.warning("API unreachable", metadata: ["error": "\(error)"])
            throw APIError(.badGateway, code: "api_unreachable", message: "The Orcastra API did not answer; try again shortly.")
        }
        if upstream.status == .unauthorized, let current {
            return try await self.unauthorized(upstream, current: current)
        }
        let upstreamLength = upstream.headers.first(name: "content-length").flatMap { Int($0) }
        let status = HTTPResponse.Status(code: Int(upstream.status.code), reasonPhrase: upstream.status.reasonPhrase)
        if !streamed, request.method != .head, let length = upstreamLength, length <= Self.wholeBodyLimit {
            let body: ByteBuffer
            do {
                body = try await Self.whole(upstream.body, length: length)
            } catch {
                context.logger.warning("API answer cut short", metadata: ["error": "\(error)"])
                throw APIError(.badGateway, code: "api_unreachable", message: "The Orcastra API did not answer; try again shortly.")
            }
            return Response(status: status, headers: ProxyHeaders.inbound(from: upstream.headers), body: .init(byteBuffer: body))
        }
        let body = upstream.body
        return Response(
            status: status,
            headers: ProxyHeaders.inbound(from: upstream.headers),
            body: ResponseBody(contentLength: request.method == .head ? nil : upstreamLength) { writer in
                for try await chunk in body { try await writer.write(chunk) }
                try await writer.finish(nil)
            }
        )
    }

    /// Bodies up to this size with a declared length are read whole and sent on in one write,
    /// both ways; larger or unsized ones stream through as they come. Almost everything is
    /// small JSON, and streaming costs separate writes for head, body and end. It matters for
    /// correctness too: the API may answer before it has read a body (a 413 for one over its
    /// limit) and the HTTP client then reports a streamed upload cut short, which could cut the
    /// answer too; a body sent whole has left before any answer can come, and an answer to a
    /// streamed upload is streamed back so that what arrived is passed on.
    static let wholeBodyLimit = 64 * 1024

    static func whole(_ body: HTTPClientResponse.Body, length: Int) async throws -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(length)
        for try await var chunk in body { buffer.writeBuffer(&chunk) }
        return buffer
    }

    /// The API refused the session's credentials: if it says the session has ended, the
    /// gateway forgets it too, so the next page asks the browser to sign in.
    func unauthorized(_ upstream: HTTPClientResponse, current: SessionGuard.Current) async throws -> Response {
        let body: ByteBuffer
        do {
            body = try await upstream.body.collect(upTo: 64 * 1024)
        } catch {
            throw APIError(.unauthorized, code: "unauthorized", message: "The API refused this session's credentials.")
        }
        if let error = try? JSONCoding.decoder.decode(ErrorBody.self, from: Data(buffer: body)), error.error.code == "session_ended" {
            try await self.guardian.vault.delete(current.id)
        }
        return Response(status: .unauthorized, headers: ProxyHeaders.inbound(from: upstream.headers), body: .init(byteBuffer: body))
    }
}
