import Foundation
import Hummingbird
import OrcastraRuntime

/// Serves the OpenAPI 3.1 description of this API at `/api/v1/openapi.json`.
///
/// The document is a hand-kept file in `Resources/openapi.json`; a test compares its paths with
/// the router's, so a route cannot be added or removed without the document following.
struct OpenAPIController {
    /// The document's bytes, read once at start.
    static let document: Data = {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "json", subdirectory: "Resources"),
              let data = try? Data(contentsOf: url) else {
            return Data(#"{"openapi":"3.1.0","info":{"title":"Orcastra API","version":"missing"},"paths":{}}"#.utf8)
        }
        return data
    }()

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.get("openapi.json", use: self.show)
    }

    /// The document as JSON; cacheable, since it changes only with a new build.
    @Sendable func show(_ request: Request, context: AppRequestContext) -> Response {
        Response(
            status: .ok,
            headers: [.contentType: "application/json", .cacheControl: "public, max-age=300"],
            body: .init(byteBuffer: .init(bytes: Self.document))
        )
    }
}
