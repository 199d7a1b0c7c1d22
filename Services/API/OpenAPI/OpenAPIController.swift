import Foundation
import Hummingbird
import OrcastraRuntime
import Synchronization

/// Serves the OpenAPI 3.1 description of this API at `/api/v1/openapi.json`.
///
/// The document is a hand-kept file in `Resources/openapi.json`; a test compares its paths with
/// the router's, so a route cannot be added or removed without the document following. Each
/// operation is served with what it needs (`x-orcastra-needs`, from the `AccessTable`), so the
/// requirement is written once, where the route is added.
final class OpenAPIController: Sendable {
    /// The file's bytes, read once at start.
    static let document: Data = {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "json", subdirectory: "Resources"),
              let data = try? Data(contentsOf: url) else {
            return Data(#"{"openapi":"3.1.0","info":{"title":"Orcastra API","version":"missing"},"paths":{}}"#.utf8)
        }
        return data
    }()

    let table: AccessTable
    /// The annotated document, made at the first request (every route has been added by then).
    private let annotated = Mutex<Data?>(nil)

    init(table: AccessTable) {
        self.table = table
    }

    func addRoutes(to routes: AccessRoutes) {
        routes.get("openapi.json", .open, use: self.show)
    }

    /// The document as JSON; cacheable, since it changes only with a new build.
    @Sendable func show(_ request: Request, context: AppRequestContext) -> Response {
        let document = self.annotated.withLock { cached in
            if let cached { return cached }
            let made = Self.annotate(Self.document, with: self.table)
            cached = made
            return made
        }
        return Response(
            status: .ok,
            headers: [.contentType: "application/json", .cacheControl: "public, max-age=300"],
            body: .init(byteBuffer: .init(bytes: document))
        )
    }

    /// `document` with `x-orcastra-needs` on every operation the table knows.
    static func annotate(_ document: Data, with table: AccessTable) -> Data {
        guard var root = try? JSONSerialization.jsonObject(with: document) as? [String: Any],
              var paths = root["paths"] as? [String: Any] else { return document }
        for row in table.rows {
            let method = row.method.rawValue.lowercased()
            guard var item = paths[row.openAPIPath] as? [String: Any], var operation = item[method] as? [String: Any] else { continue }
            operation["x-orcastra-needs"] = row.requirement.label
            item[method] = operation
            paths[row.openAPIPath] = item
        }
        root["paths"] = paths
        return (try? JSONSerialization.data(withJSONObject: root, options: [.sortedKeys, .withoutEscapingSlashes])) ?? document
    }
}
