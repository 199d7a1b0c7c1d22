import Foundation
import Hummingbird

/// Responses the generic `ResponseEncodable` path cannot make: a chosen status (201) with
/// headers added by the handler (`Location`).
public enum JSONResponse {
    public static func encode(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        let data = try JSONCoding.encoder.encode(value)
        return Response(status: status, headers: [.contentType: "application/json; charset=utf-8"], body: .init(byteBuffer: .init(bytes: data)))
    }
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
