import HTTPTypes
import Hummingbird
import OrcastraRuntime

/// Headers every API answer carries, errors included: `X-Content-Type-Options: nosniff` (a
/// JSON answer is never run as a script or page); `Cache-Control: no-store` when the request
/// carried credentials (a shared cache or the browser's disk must not keep someone's data);
/// `Strict-Transport-Security` when the request came over HTTPS, which the API learns from a
/// trusted proxy's `X-Forwarded-Proto` or from an https public URL (`NEXTAUTH_URL`).
struct SecurityHeadersMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let clientIP: ClientIPPolicy
    /// The public URL is https: every answer reached the browser over TLS.
    let publicHTTPS: Bool

    static let contentTypeOptions = HTTPField.Name("X-Content-Type-Options")!
    static let strictTransportSecurity = HTTPField.Name("Strict-Transport-Security")!
    static let forwardedProto = HTTPField.Name("X-Forwarded-Proto")!
    static let apiKey = HTTPField.Name("X-API-Key")!
    static let hsts = "max-age=31536000; includeSubDomains"

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        response.headers[Self.contentTypeOptions] = "nosniff"
        if request.headers[.authorization] != nil || request.headers[Self.apiKey] != nil || request.headers[.cookie] != nil {
            response.headers[.cacheControl] = "no-store"
        }
        if self.overHTTPS(request, context: context) {
            response.headers[Self.strictTransportSecurity] = Self.hsts
        }
        return response
    }

    /// HTTPS per configuration, or per `X-Forwarded-Proto` from a peer in `TRUSTED_PROXY_CIDRS`
    /// (anyone else could write that header).
    func overHTTPS(_ request: Request, context: Context) -> Bool {
        if self.publicHTTPS { return true }
        guard let proto = request.headers[Self.forwardedProto],
              self.clientIP.resolve(peer: context.remoteAddress?.ipAddress, header: { _ in nil }).proxyTrusted else { return false }
        return proto.split(separator: ",").last?.trimmingCharacters(in: .whitespaces).lowercased() == "https"
    }
}
