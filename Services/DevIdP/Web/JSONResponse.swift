import Foundation
import HTTPTypes
import Hummingbird
import OrcastraRuntime

/// A JSON response with a chosen status and headers.
///
/// OAuth endpoints and Authentik's API answer errors in their own shapes (`{"error": …}`,
/// `{"detail": …}`), not in the house `APIError` shape, so those handlers build responses
/// themselves instead of throwing.
enum JSONResponse {
    static func make(_ status: HTTPResponse.Status = .ok, _ value: some Encodable, headers: HTTPFields = [:]) throws -> Response {
        var headers = headers
        headers[.contentType] = "application/json"
        let data = try JSONCoding.encoder.encode(value)
        return Response(status: status, headers: headers, body: .init(byteBuffer: .init(bytes: data)))
    }

    /// Token endpoint answers must not be cached (RFC 6749 §5.1).
    static let noStore: HTTPFields = [.cacheControl: "no-store", HTTPField.Name("Pragma")!: "no-cache"]
}
