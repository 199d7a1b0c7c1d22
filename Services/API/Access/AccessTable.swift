import HTTPTypes
import Synchronization

/// Every route with its requirement, as `AccessRoutes` added them: printed in the README
/// (`make access-table`), named in the OpenAPI document (`x-orcastra-needs`), and walked by the
/// tests, so what a route needs is said in one place.
final class AccessTable: Sendable {
    struct Row: Sendable {
        var method: HTTPRequest.Method
        /// As the router has it: `/api/v1/clusters/:id`.
        var path: String
        var requirement: Requirement

        var openAPIPath: String { AccessTable.openAPIPath(self.path) }
    }

    /// A router path as the OpenAPI document has it: `/api/v1/clusters/:id` →
    /// `/api/v1/clusters/{id}`.
    static func openAPIPath(_ routerPath: String) -> String {
        "/" + routerPath.split(separator: "/").map { $0.hasPrefix(":") ? "{\($0.dropFirst())}" : String($0) }.joined(separator: "/")
    }

    private let storage = Mutex<[Row]>([])

    var rows: [Row] { self.storage.withLock { $0 } }

    func add(_ row: Row) { self.storage.withLock { $0.append(row) } }

    /// The README's table: one line per route, in path order.
    var markdown: String {
        let lines = self.rows.sorted { ($0.path, $0.method.rawValue) < ($1.path, $1.method.rawValue) }
            .map { row in
                let needs = if case .entitlement(let entitlement, let target) = row.requirement {
                    "`\(entitlement.rawValue)` on \(target.label)"
                } else { row.requirement.label }
                return "| `\(row.method.rawValue) \(row.openAPIPath)` | \(needs) |"
            }
        return (["| route | needs |", "|---|---|"] + lines).joined(separator: "\n")
    }
}
