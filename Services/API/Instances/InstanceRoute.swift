import Foundation
import Hummingbird
import OrcastraModels
import OrcastraRuntime

/// What the instance and snapshot routes share: reading the instance a route names, and
/// answering a started change.
enum InstanceRoute {
    /// The cluster, project (`?project=`) and instance name of
    /// `/clusters/:id/instances/:name/…`.
    static func target(_ request: Request, context: AppRequestContext, in instances: InstanceService) async throws -> InstanceService.Target {
        try await instances.target(cluster: try context.parameters.uuid("id"), name: try context.parameters.require("name"),
                                   project: request.uri.queryParameters.get("project"), for: try context.requireIdentity())
    }

    /// 202 with the operation and where to follow it.
    static func accepted(_ operation: OperationInfo) throws -> Response {
        var response = try JSONResponse.encode(operation, status: .accepted)
        response.headers[.location] = "/api/v1/operations/\(operation.id.uuidString.lowercased())"
        return response
    }
}
