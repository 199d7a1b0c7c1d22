import AsyncHTTPClient
import HTTPTypes
import Hummingbird
import NIOCore
import NIOHTTP1
import OrcastraRuntime

/// Forwards `/api/v1/*` to the API, streaming bodies both ways.
///
/// Redirects come back to the browser untouched (the client never follows them), hop-by-hop
/// and identity headers a client sent are dropped, the request id is passed on so both
/// services' access lines carry it, and the client address goes as `X-Forwarded-For`.
struct APIProxy {
    let client: HTTPClient
    let apiURL: String
    let clientIP: ClientIPPolicy

    /// Everything under this path belongs to the API.
    static let prefix = "/api/v1/"

    static let methods: [HTTPRequest.Method] = [.get, .head, .post, .put, .patch, .delete, .options]

    func addRoutes(to router: Router<AppRequestContext>) {
        for method in Self.methods {
            router.on("/api/v1/**", method: method, use: self.forward)
        }
    }

    @Sendable func forward(_ request: Request, context: AppRequestContext) async throws -> Response {
        var target = self.apiURL + request.uri.path
        if let query = request.uri.query, !query.isEmpty { target += "?" + query }
        var outbound = HTTPClientRequest(url: target)
        outbound.method = HTTPMethod(rawValue: request.method.rawValue)
        outbound.headers = ProxyHeaders.outbound(from: request.headers)
        outbound.headers.replaceOrAdd(name: "X-Request-ID", value: context.state.requestID)
        let client = self.clientIP.resolve(peer: context.remoteAddress?.ipAddress) { name in
            HTTPField.Name(name).flatMap { request.headers[$0] }
        }
        if let ip = client.ip { outbound.headers.replaceOrAdd(name: "X-Forwarded-For", value: ip) }
        if let host = request.head.authority { outbound.headers.replaceOrAdd(name: "X-Forwarded-Host", value: host) }
        let length = request.headers[.contentLength].flatMap { Int64($0) }
        if request.method != .get && request.method != .head {
            outbound.body = .stream(request.body, length: length.map { .known($0) } ?? .unknown)
        }

        let upstream: HTTPClientResponse
        do {
            upstream = try await self.client.execute(outbound, timeout: .seconds(300))
        } catch {
            context.logger.warning("API unreachable", metadata: ["error": "\(error)"])
            throw APIError(.badGateway, code: "api_unreachable", message: "The Orcastra API did not answer; try again shortly.")
        }
        let upstreamLength = upstream.headers.first(name: "content-length").flatMap { Int($0) }
        let body = upstream.body
        return Response(
            status: .init(code: Int(upstream.status.code), reasonPhrase: upstream.status.reasonPhrase),
            headers: ProxyHeaders.inbound(from: upstream.headers),
            body: ResponseBody(contentLength: request.method == .head ? nil : upstreamLength) { writer in
                for try await chunk in body { try await writer.write(chunk) }
                try await writer.finish(nil)
            }
        )
    }
}
