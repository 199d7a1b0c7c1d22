import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import OrcastraModels
import OrcastraRuntime
import OrcastraTestSupport
import Testing

@testable import OrcastraAPI

/// `GET /api/v1/audit-log` and `/verify` through the standard middleware, on a real chain.
@Suite("Audit log endpoint")
struct AuditLogEndpointTests {
    /// The controller mounted as `buildRouter` mounts it, with every caller an admin.
    static func withApp(_ f: AuditFixture, _ body: @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let router = Router<AppRequestContext>.standard(config: ServiceConfig(serviceName: "orcastra-api"), sink: LogSink(.memory))
        let admin = router.group("/api/v1").add(middleware: SignedInAs(identity: Identity(
            id: UUID(), subject: "admin", name: nil, email: nil, role: .admin, groups: [], authMethod: .token)))
        let authorizer = Authorizer(relations: AccessRelations(client: f.client, logger: f.logger))
        AuditController(client: f.client, keys: f.trail.keys)
            .addRoutes(to: AccessRoutes(open: admin, signedIn: admin, prefix: "/api/v1", authorizer: authorizer, table: AccessTable()))
        try await Application(router: router).test(.router, body)
    }

    static func page(_ client: some TestClientProtocol, _ query: String) async throws -> AuditRecordPage {
        try await client.execute(uri: "/api/v1/audit-log\(query)", method: .get) { response in
            #expect(response.status == .ok, "\(String(buffer: response.body))")
            return try JSONDecoder().decode(AuditRecordPage.self, from: Data(String(buffer: response.body).utf8))
        }
    }

    /// Events 1…9: actors u1, u2, u0, …; event 4 is `auth.login` denied, event 7 `auth.login` failed.
    static func seed(_ f: AuditFixture) async throws -> [AuditRecord] {
        var records: [AuditRecord] = []
        for i in 1...9 {
            let event = switch i {
            case 4: AuditFixture.event(i, action: "auth.login", result: .denied)
            case 7: AuditFixture.event(i, action: "auth.login", result: .failure)
            default: AuditFixture.event(i)
            }
            records.append(try await f.trail.record(event, client: f.client, logger: f.logger))
        }
        return records
    }

    @Test("without filters: newest first, every record field present, default limit")
    func unfiltered() async throws {
        try await AuditFixture.with { f throws in
            let records = try await Self.seed(f)
            try await Self.withApp(f) { client throws in
                let page = try await Self.page(client, "")
                #expect(page.items.map(\.seq) == Array((1...9).reversed()))
                #expect(page.nextCursor == nil)
                #expect(page.items.last == records.first)

                try await client.execute(uri: "/api/v1/audit-log?limit=1", method: .get) { response in
                    let json = try JSONValue.parse(String(buffer: response.body))
                    #expect(json.keys == ["items", "next_cursor"])
                    guard case .array(let items) = json["items"] ?? .null, let item = items.first else {
                        Issue.record("no items in \(json)")
                        return
                    }
                    #expect(item.keys == [
                        "seq", "event_id", "recorded_at", "action", "category", "severity", "actor", "target", "result",
                        "error_code", "error_message", "details", "request_id",
                    ])
                    #expect(item["seq"] == .number(9))
                    #expect(item["recorded_at"]?.string == records[8].recordedAt)
                    #expect(item["details"] == .object(["i": .string("9")]))
                }
            }
        }
    }

    @Test("filters by actor, action and result, alone and together")
    func filters() async throws {
        try await AuditFixture.with { f throws in
            _ = try await Self.seed(f)
            try await Self.withApp(f) { client throws in
                #expect(try await Self.page(client, "?actor=u1").items.map(\.seq) == [7, 4, 1])
                #expect(try await Self.page(client, "?action=auth.login").items.map(\.seq) == [7, 4])
                #expect(try await Self.page(client, "?result=denied").items.map(\.seq) == [4])
                #expect(try await Self.page(client, "?actor=u1&action=auth.login&result=failure").items.map(\.seq) == [7])
                #expect(try await Self.page(client, "?actor=nobody").items.isEmpty)
            }
        }
    }

    @Test("since and until bound recorded_at inclusively, to the microsecond")
    func timeRange() async throws {
        try await AuditFixture.with { f throws in
            let records = try await Self.seed(f)
            try await Self.withApp(f) { client throws in
                let since = records[2].recordedAt, until = records[5].recordedAt
                #expect(try await Self.page(client, "?since=\(since)").items.map(\.seq) == [9, 8, 7, 6, 5, 4, 3])
                #expect(try await Self.page(client, "?until=\(until)").items.map(\.seq) == [6, 5, 4, 3, 2, 1])
                #expect(try await Self.page(client, "?since=\(since)&until=\(until)&actor=u0").items.map(\.seq) == [6, 3])
                #expect(try await Self.page(client, "?since=2999-01-01T00:00:00Z").items.isEmpty)
                #expect(try await Self.page(client, "?until=2000-01-01T00:00:00%2B01:00").items.isEmpty)
            }
        }
    }

    @Test("pages follow the cursor to the end without repeats, filters kept, new events not shifting them")
    func pagination() async throws {
        try await AuditFixture.with { f throws in
            _ = try await Self.seed(f)
            try await Self.withApp(f) { client throws in
                var seen: [Int] = []
                var cursor: String? = nil
                var pages = 0
                repeat {
                    let page = try await Self.page(client, "?limit=4" + (cursor.map { "&cursor=\($0)" } ?? ""))
                    seen += page.items.map(\.seq)
                    cursor = page.nextCursor
                    pages += 1
                    if pages == 1 { try await f.recordMany(2) }  // seq 10 and 11 arrive mid-way
                } while cursor != nil && pages < 10
                #expect(seen == Array((1...9).reversed()))
                #expect(pages == 3)

                let first = try await Self.page(client, "?action=test.event&limit=3")
                #expect(first.items.map(\.seq) == [11, 10, 9])
                let second = try await Self.page(client, "?action=test.event&limit=3&cursor=\(try #require(first.nextCursor))")
                #expect(second.items.map(\.seq) == [8, 6, 5])
                #expect(second.nextCursor != nil)
            }
        }
    }

    @Test("bad filter values are a 400 naming the parameter", arguments: [
        ("since=yesterday", "since"), ("since=2025-02-30T00:00:00Z", "since"), ("since=2025-01-01", "since"),
        ("until=2025-01-01T25:00:00Z", "until"), ("until=2025-01-01T00:00:00%2B16:00", "until"),
        ("limit=0", "limit"), ("limit=501", "limit"), ("limit=ten", "limit"),
        ("result=maybe", "result"), ("actor=", "actor"), ("cursor=not-a-cursor", "cursor"), ("cursor=c2VxOi0x", "cursor"),
    ])
    func badFilter(query: String, parameter: String) async throws {
        try await AuditFixture.with { f throws in
            try await Self.withApp(f) { client throws in
                try await client.execute(uri: "/api/v1/audit-log?\(query)", method: .get) { response in
                    #expect(response.status == .badRequest)
                    let body = try JSONDecoder().decode(ErrorBody.self, from: Data(String(buffer: response.body).utf8))
                    #expect(body.error.code == "invalid_parameter")
                    #expect(body.error.message.contains("parameter \(parameter) "), "\(body.error.message)")
                }
            }
        }
    }

    @Test("verify answers the verification JSON, and names a tampered row")
    func verify() async throws {
        try await AuditFixture.with { f throws in
            try await f.recordMany(3)
            try await Self.withApp(f) { client throws in
                try await client.execute(uri: "/api/v1/audit-log/verify", method: .get) { response in
                    #expect(response.status == .ok)
                    let json = try JSONValue.parse(String(buffer: response.body))
                    #expect(json == .object([
                        "valid": .bool(true), "checked": .number(3), "head_seq": .number(3), "problems": .array([]),
                        "keyed_from_seq": .number(1), "anchor_seq": .null, "anchored_at": .null,
                    ]))
                }
                try await f.tamper("UPDATE audit_events SET action = 'x' WHERE seq = 2")
                try await client.execute(uri: "/api/v1/audit-log/verify", method: .get) { response in
                    #expect(response.status == .ok)
                    let json = try JSONValue.parse(String(buffer: response.body))
                    #expect(json["valid"] == .bool(false))
                    guard case .array(let problems) = json["problems"] ?? .null, let problem = problems.first else {
                        Issue.record("no problems in \(json)")
                        return
                    }
                    #expect(problem.keys == ["seq", "event_id", "kind", "message"])
                    #expect(problem["seq"] == .number(2))
                    #expect(problem["kind"] == .string("edited"))
                }
            }
        }
    }

    @Test("an unreadable stored event is a 500 that points at verify, not a crash")
    func unreadableRow() async throws {
        try await AuditFixture.with { f throws in
            try await f.recordMany(2)
            try await f.tamper("UPDATE audit_events SET body = '{' WHERE seq = 1")
            try await Self.withApp(f) { client throws in
                try await client.execute(uri: "/api/v1/audit-log", method: .get) { response in
                    #expect(response.status == .internalServerError)
                    let body = try JSONDecoder().decode(ErrorBody.self, from: Data(String(buffer: response.body).utf8))
                    #expect(body.error.code == "audit_row_unreadable")
                }
            }
        }
    }
}

/// Query parsing without HTTP: the timestamp grammar and the cursor.
@Suite("Audit log filter")
struct AuditLogFilterTests {
    @Test("RFC 3339 date-times PostgreSQL also accepts", arguments: [
        "2025-01-31T12:00:00Z", "2024-02-29T23:59:59.999999Z", "2025-01-31T12:00:00.5+02:00", "2025-01-31T12:00:00-15:59",
        "2016-12-31T23:59:60Z",
    ])
    func validTimestamps(text: String) {
        #expect(RFC3339.isValid(text))
    }

    @Test("and what is refused", arguments: [
        "", "2025-01-31", "2025-01-31 12:00:00Z", "2025-01-31T12:00:00", "2023-02-29T00:00:00Z", "2025-13-01T00:00:00Z",
        "2025-01-31T12:00:00+16:00", "0000-01-01T00:00:00Z", "2025-01-31T12:00:00.Z", "2025-01-31T12:00:00Z; DROP TABLE x",
    ])
    func invalidTimestamps(text: String) {
        #expect(!RFC3339.isValid(text))
    }

    @Test("a cursor round-trips and nothing else decodes")
    func cursor() {
        for seq: Int64 in [1, 42, 999_999_999_999_999_999] {
            #expect(AuditCursor.decode(AuditCursor.encode(seq)) == seq)
        }
        for text in ["", "0", "042", "-1", "+1", "1e3", "4 2", "1000000000000000000", "c2VxOjQy"] {
            #expect(AuditCursor.decode(text) == nil, "\(text)")
        }
    }
}

/// Stands in for the authenticator: every request is `identity`'s.
struct SignedInAs: RouterMiddleware {
    typealias Context = AppRequestContext
    let identity: Identity

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        context.identity = self.identity
        return try await next(request, context)
    }
}
