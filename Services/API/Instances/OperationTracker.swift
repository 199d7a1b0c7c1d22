import Foundation
import Logging
import ServiceLifecycle
import OrcastraModels
import OrcastraRuntime
import PostgresNIO

/// Starts long-running changes to instances and snapshots on a cluster and follows them to
/// the end.
///
/// A change is one or more LXD calls (steps) that each may start an LXD operation: "create,
/// then start", "stop, then delete". The first step runs during the request, so what LXD
/// refuses at once is the caller's error (and audited as a failure); the rest runs in the
/// background and the caller follows our operation id. The end is written once, with its
/// audit event in the same transaction, so an operation is final exactly when its event exists.
///
/// The followers run inside this service (not as loose tasks), so they end with the API. An
/// operation still running when the API stops is closed at the next start (`closeAbandoned`):
/// nobody is following it any more, and its audit event must not be missing.
final class OperationTracker: Service, Sendable {
    let client: PostgresClient
    let audit: AuditTrail
    let logger: Logger
    /// The longest an operation is followed; LXD's own operations end well before.
    let limit: Duration
    /// Told of each instance change as it ends, before the end is written (the usage ledger
    /// reads the instance back then): the plan, whether the instance is now gone, the driver.
    typealias Ended = @Sendable (_ plan: Plan, _ deleted: Bool, _ driver: ClusterDriver) async -> Void
    let ended: Ended?
    private let followers: AsyncStream<@Sendable () async -> Void>
    private let enqueue: AsyncStream<@Sendable () async -> Void>.Continuation

    init(client: PostgresClient, audit: AuditTrail, logger: Logger, limit: Duration = .seconds(3600), ended: Ended? = nil) {
        self.client = client
        self.ended = ended
        self.audit = audit
        self.logger = logger
        self.limit = limit
        (self.followers, self.enqueue) = AsyncStream.makeStream()
    }

    /// Runs the followers until the API shuts down; the ones still waiting are then cancelled
    /// (their rows stay `running` for `closeAbandoned`).
    func run() async throws {
        await withDiscardingTaskGroup { group in
            for await follower in self.followers.cancelOnGracefulShutdown() {
                group.addTask { await follower() }
            }
            group.cancelAll()
        }
    }

    /// Ends, as failures, the operations a previous run of the API left running.
    func closeAbandoned() async throws {
        let message = "the API stopped while following this operation; check the instance's state on the cluster"
        let rows = try await self.client.boundedQuery(
            "SELECT o.id, o.action, o.project, o.instance, o.snapshot, o.created_by, c.name FROM operations o JOIN clusters c ON c.id = o.cluster_id WHERE o.status = 'running'",
            logger: self.logger)
        for try await (id, action, project, instance, snapshot, createdBy, clusterName) in rows.decode((UUID, String, String, String, String?, UUID?, String).self) {
            let object = snapshot.map { "\(instance)/\($0)" } ?? instance
            let event = AuditEvent(
                action: action, category: "instances", severity: .warning,
                actor: AuditActor(userID: createdBy?.uuidString.lowercased(), userType: .user),
                target: AuditTarget(type: snapshot == nil ? "instance" : "snapshot", id: object, host: clusterName, project: project),
                result: .failure, errorCode: "operation_abandoned", errorMessage: message, details: ["operation_id": id.uuidString.lowercased()])
            try await self.audit.record(client: self.client, logger: self.logger) { connection in
                let updated = try await connection.query(
                    "UPDATE operations SET status = 'failure', error = \(message), updated_at = now() WHERE id = \(id) AND status = 'running' RETURNING id",
                    logger: self.logger).decode(UUID.self).all()
                return ((), updated.isEmpty ? nil : event)
            }
        }
    }

    /// One driver verb; returns the LXD operation it started, or nil when it finished at once.
    typealias Step = @Sendable (ClusterDriver) async throws -> String?

    /// What is being changed, for the row, the audit event and the caller.
    struct Plan: Sendable {
        var cluster: Cluster
        /// The audited action: `instance.create`, `instance.stop`, `snapshot.restore`, …
        var action: String
        var project: String
        var instance: String
        var snapshot: String?
        var details: [String: String] = [:]
        var steps: [Step]

        var target: AuditTarget {
            let object = self.snapshot.map { "\(self.instance)/\($0)" } ?? self.instance
            return AuditTarget(type: self.snapshot == nil ? "instance" : "snapshot", id: object, host: self.cluster.name, project: self.project)
        }
    }

    /// Runs the plan's first step with `driver` (scoped to the plan's project), records the
    /// operation and hands the rest to a follower.
    func start(_ plan: Plan, driver: ClusterDriver, caller: Identity, requestID: String?) async throws -> OperationInfo {
        let actor = AuditActor(caller)
        let first: String?
        do {
            first = try await plan.steps[0](driver)
        } catch {
            let apiError = (error as? any APIErrorConvertible)?.apiError
            await self.audit.recordFailure(self.event(plan, actor: actor, requestID: requestID, operation: nil,
                                                      failure: apiError?.message ?? "\(error)", code: apiError?.code),
                                           client: self.client, logger: self.logger)
            throw error
        }
        let rows = try await self.client.boundedQuery(
            """
            INSERT INTO operations (cluster_id, action, project, instance, snapshot, lxd_operation, created_by)
            VALUES (\(plan.cluster.id), \(plan.action), \(plan.project), \(plan.instance), \(plan.snapshot), \(first), \(caller.id))
            RETURNING id
            """, logger: self.logger)
        guard let id = try await rows.decode(UUID.self).first(where: { _ in true }) else {
            throw APIError(.internalServerError, code: "internal_error", message: "the operation could not be recorded")
        }
        self.enqueue.yield { await self.follow(id, first: first, plan: plan, driver: driver, actor: actor, requestID: requestID) }
        return try await self.find(id)!
    }

    /// Waits for each step's LXD operation, runs the next, then writes the end (within `limit`).
    private func follow(_ id: UUID, first: String?, plan: Plan, driver: ClusterDriver, actor: AuditActor, requestID: String?) async {
        var failure: String?
        let deadline = ContinuousClock.now + self.limit
        do {
            for (index, step) in plan.steps.enumerated() {
                let current = index == 0 ? first : try await step(driver)
                guard let current else { continue }
                if index > 0 {
                    try await self.client.boundedQuery("UPDATE operations SET lxd_operation = \(current), updated_at = now() WHERE id = \(id)", logger: self.logger)
                }
                let ended = try await driver.wait(current, until: deadline)
                if !ended.succeeded {
                    failure = ended.err.flatMap { $0.isEmpty ? nil : $0 } ?? "LXD reports \(ended.status)"
                    break
                }
            }
        } catch is CancellationError {
            return  // the API is stopping; the next start closes this one
        } catch let error as ClusterError {
            failure = error.description
        } catch {
            failure = "\(error)"
        }
        // Told before the end is written, so whoever sees the operation ended finds what
        // `ended` records up to date; a failed change may have changed something too.
        if let ended = self.ended, plan.snapshot == nil, plan.action.hasPrefix("instance.") {
            await ended(plan, plan.action == "instance.delete" && failure == nil, driver)
        }
        await self.finish(id, plan: plan, actor: actor, requestID: requestID, failure: failure)
    }

    /// Marks the operation ended and records its event, once: a second caller finds the row
    /// already final and records nothing.
    func finish(_ id: UUID, plan: Plan, actor: AuditActor, requestID: String?, failure: String?) async {
        let status = failure == nil ? "success" : "failure"
        do {
            try await self.audit.record(client: self.client, logger: self.logger) { connection in
                let rows = try await connection.query(
                    """
                    UPDATE operations SET status = \(status), error = \(failure), progress = CASE WHEN \(status) = 'success' THEN 100 ELSE progress END,
                           updated_at = now()
                    WHERE id = \(id) AND status = 'running' RETURNING id
                    """, logger: self.logger)
                var updated = false
                for try await _ in rows { updated = true }
                return ((), updated ? self.event(plan, actor: actor, requestID: requestID, operation: id, failure: failure, code: failure == nil ? nil : "operation_failed") : nil)
            }
        } catch {
            self.logger.error("could not record the end of an operation", metadata: ["operation": "\(id)", "error": "\(error)"])
        }
    }

    private func event(_ plan: Plan, actor: AuditActor, requestID: String?, operation: UUID?, failure: String?, code: String?) -> AuditEvent {
        var details = plan.details
        details["cluster_id"] = plan.cluster.id.uuidString.lowercased()
        if let operation { details["operation_id"] = operation.uuidString.lowercased() }
        return AuditEvent(action: plan.action, category: "instances", severity: failure == nil ? .info : .warning, actor: actor, target: plan.target,
                          result: failure == nil ? .success : .failure, errorCode: code, errorMessage: failure, details: details, requestID: requestID)
    }

    /// The operation as stored.
    func find(_ id: UUID) async throws -> OperationInfo? {
        try await self.select("WHERE id = \(id)").first.map(\.info)
    }

    /// The row with who started it and the LXD operation running now.
    func row(_ id: UUID) async throws -> (info: OperationInfo, createdBy: UUID?, lxdOperation: String?)? {
        try await self.select("WHERE id = \(id)").first
    }

    private func select(_ filter: PostgresQuery) async throws -> [(info: OperationInfo, createdBy: UUID?, lxdOperation: String?)] {
        let query = PostgresQuery("""
            SELECT id, cluster_id, action, project, instance, snapshot, status, progress, stage, error, created_at, updated_at, created_by, lxd_operation
            FROM operations
            """, filter)
        var found: [(info: OperationInfo, createdBy: UUID?, lxdOperation: String?)] = []
        let rows = try await self.client.boundedQuery(query, logger: self.logger)
        for try await (id, cluster, action, project, instance, snapshot, status, progress, stage, error, created, updated, by, lxd)
            in rows.decode((UUID, UUID, String, String, String, String?, String, Int?, String?, String?, Date, Date, UUID?, String?).self) {
            let info = OperationInfo(id: id, clusterID: cluster, action: action, project: project, instance: instance, snapshot: snapshot,
                                     status: OperationInfo.Status(rawValue: status) ?? .running, progress: progress, stage: stage, error: error,
                                     createdAt: created, updatedAt: updated)
            found.append((info, by, lxd))
        }
        return found
    }
}
