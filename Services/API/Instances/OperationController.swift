import Foundation
import Hummingbird
import OrcastraModels
import OrcastraRuntime

/// `GET /api/v1/operations/<id>`: a long-running change's state and progress, for whoever
/// started it, the cluster's owner and admins.
struct OperationController {
    let instances: InstanceService

    func addRoutes(to routes: AccessRoutes) {
        routes.get("operations/:id", .entitlement(.canView, on: .operation), use: self.get)
    }

    @Sendable func get(_ request: Request, context: AppRequestContext) async throws -> OperationInfo {
        try await self.instances.operation(try context.parameters.uuid("id"))
    }
}
