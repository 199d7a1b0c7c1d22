import Foundation
import HTTPTypes
import Hummingbird

/// Responses the generic `ResponseEncodable` path cannot make: a chosen status (201) with
/// headers added by the handler (`Location`).
public enum JSONResponse {
    public static func encode(_ value: some Encodable, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) throws -> Response {
        var headers = headers
        headers[.contentType] = "application/json; charset=utf-8"
        let data = try JSONCoding.encoder.encode(value)
        return Response(status: status, headers: headers, body: .init(byteBuffer: .init(bytes: data)))
    }

    /// For answers that must not be cached, such as tokens (RFC 6749 §5.1).
    public static let noStore: HTTPFields = [.cacheControl: "no-store", HTTPField.Name("Pragma")!: "no-cache"]
}

extension Parameters {
    /// A path parameter that must be a UUID; 400 naming it otherwise.
    public func uuid(_ name: String) throws -> UUID {
        guard let raw = self.get(name), let id = UUID(uuidString: raw) else {
            throw APIError(.badRequest, code: "invalid_id", message: "\(name) in the path must be a UUID")
        }
        return id
    }
}
