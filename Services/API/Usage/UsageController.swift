import Foundation
import Hummingbird
import NIOCore
import OrcastraModels
import OrcastraRuntime

/// `GET /api/v1/reports/usage`: what the caller's organizations, projects or instances used
/// over a period, from the ledger, as JSON or CSV, written out line by line; and
/// `POST /api/v1/reports/usage/scan`: read the caller's clusters now rather than at the next
/// periodic scan (after maintenance, or to see a change made outside Orcastra at once).
struct UsageController {
    let ledger: UsageLedger
    let recorder: UsageRecorder
    let authorizer: Authorizer

    func addRoutes(to routes: AccessRoutes) {
        // Open to everyone signed in: the ledger's scope (`UsageLedger.Scope`) narrows it.
        routes.get("reports/usage", .signedIn, use: self.usage)
        routes.post("reports/usage/scan", .entitlement(.canManageClusters, on: .server), use: self.scan)
    }

    /// Scans the clusters the caller manages (admins: all), one after another.
    @Sendable func scan(_ request: Request, context: AppRequestContext) async throws -> [UsageScan] {
        let caller = try context.requireIdentity()
        var scans: [UsageScan] = []
        for cluster in try await self.recorder.clusters.list(in: self.authorizer.ownerScope(caller)) {
            scans.append(await self.recorder.scan(cluster))
        }
        return scans
    }

    @Sendable func usage(_ request: Request, context: AppRequestContext) async throws -> Response {
        let caller = try context.requireIdentity()
        let query = try UsageQuery({ request.uri.queryParameters.get($0) }, accept: request.headers[.accept])
        // Hours after now are not yet known: the report counts up to now at the latest.
        let until = min(query.to, self.ledger.now())
        let (lines, gaps) = try await self.ledger.usage(from: query.from, to: until, scope: .init(caller), by: query.grouping, perDay: query.perDay)
        let output = UsageOutput(query: query, countedUntil: until, lines: lines, gaps: gaps)
        var headers: HTTPFields = [.contentType: query.csv ? "text/csv; charset=utf-8" : "application/json; charset=utf-8"]
        if query.csv {
            headers[.contentDisposition] = #"attachment; filename="usage-\#(output.fileStem).csv""#
        }
        return Response(status: .ok, headers: headers, body: ResponseBody { writer in
            for chunk in query.csv ? output.csv() : try output.json() {
                try await writer.write(ByteBuffer(string: chunk))
            }
            try await writer.finish(nil)
        })
    }
}
