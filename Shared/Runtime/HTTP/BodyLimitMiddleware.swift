import Hummingbird

/// Applies the configured request body limit: a declared `Content-Length` over it is refused
/// before a byte is read, and Hummingbird's decoders stop collecting at the same limit.
///
/// Paths under an exempt prefix are streamed elsewhere (the gateway's API proxy) and limited
/// by the service that finally reads them.
public struct BodyLimitMiddleware: RouterMiddleware {
    public typealias Context = AppRequestContext
    let maxBytes: Int
    let exemptPrefixes: [String]

    public init(maxBytes: Int, exemptPrefixes: [String] = []) {
        self.maxBytes = maxBytes
        self.exemptPrefixes = exemptPrefixes
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if self.exemptPrefixes.contains(where: { request.uri.path.hasPrefix($0) }) {
            return try await next(request, context)
        }
        if let declared = request.headers[.contentLength].flatMap({ Int($0) }), declared > self.maxBytes {
            throw APIError(.contentTooLarge, code: "payload_too_large",
                           message: "The request body is \(declared) bytes; the limit is \(self.maxBytes) bytes.")
        }
        var context = context
        context.maxUploadSize = self.maxBytes
        return try await next(request, context)
    }
}
