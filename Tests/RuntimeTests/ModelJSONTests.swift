import Foundation
import OrcastraModels
import OrcastraRuntime
import OrcastraTestSupport
import Testing

/// The shared DTOs write every optional field, `null` when unset, so that log lines match the
/// index templates field for field and API lists have the same keys in every item; reading
/// them back accepts both `null` and a missing key.
@Suite("Model JSON")
struct ModelJSONTests {
    static let date = Date(timeIntervalSince1970: 1_700_000_000)
    static let later = Date(timeIntervalSince1970: 1_700_086_400)
    static let id = UUID(uuidString: "00000000-0000-4000-8000-000000000001")!
    static let otherID = UUID(uuidString: "00000000-0000-4000-8000-000000000002")!

    static let actor = AuditActor(userID: "u-1", userType: .user, role: nil, sessionID: "s-1", groups: ["ops"])
    static let keyInfo = APIKeyInfo(id: id, name: "ci", prefix: "orc_0123abcd", ownerID: otherID, ownerName: "Ada",
                                    createdAt: date, lastUsedAt: nil, expiresAt: later, revokedAt: nil, scope: .readOnly, role: .partner)
    static let record = AuditRecord(
        seq: 7, eventID: "e-7", recordedAt: "2025-01-02T03:04:05.123456Z", action: "setting.update", category: "setting",
        severity: .warning, actor: .system, target: AuditTarget(type: "setting", id: "theme"), result: .success,
        errorCode: nil, errorMessage: nil, details: [:], requestID: "r-9")
    static let summary = InstanceSummary(clusterID: id, clusterName: "lab", project: "default", name: "web", type: "container",
                                         status: "Running", description: nil, createdAt: "2025-01-02T03:04:05.123456789Z",
                                         location: nil, image: "debian/12")

    static let examples: [JSONExample] = [
        JSONExample("AuditVerification with a problem that names no event", AuditVerification(
            valid: false, checked: 3, headSeq: 3, problems: [
                AuditProblem(seq: 2, eventID: "e-2", kind: .edited, message: "hash differs"),
                AuditProblem(seq: 3, eventID: nil, kind: .missing, message: "gone"),
            ]),
            #"{"anchor_seq":null,"anchored_at":null,"checked":3,"head_seq":3,"keyed_from_seq":null,"problems":[{"event_id":"e-2","kind":"edited","message":"hash differs","seq":2},{"event_id":null,"kind":"missing","message":"gone","seq":3}],"valid":false}"#),
        JSONExample("AuditActor, some fields unknown", actor,
            #"{"groups":["ops"],"organizations":[],"role":null,"session_id":"s-1","user_id":"u-1","user_type":"user"}"#),
        JSONExample("AuditActor.anonymous", AuditActor.anonymous,
            #"{"groups":[],"organizations":[],"role":null,"session_id":null,"user_id":null,"user_type":"anonymous"}"#),
        JSONExample("AuditTarget, partly set", AuditTarget(type: "instance", id: "web"),
            #"{"host":null,"id":"web","project":null,"type":"instance"}"#),
        JSONExample("AuditTarget, empty", AuditTarget(),
            #"{"host":null,"id":null,"project":null,"type":null}"#),
        JSONExample("APIKeyInfo", keyInfo,
            #"{"created_at":"2023-11-14T22:13:20Z","expires_at":"2023-11-15T22:13:20Z","id":"00000000-0000-4000-8000-000000000001","last_used_at":null,"name":"ci","owner_id":"00000000-0000-4000-8000-000000000002","owner_name":"Ada","prefix":"orc_0123abcd","revoked_at":null,"role":"partner","scope":"read_only"}"#),
        JSONExample("APIKeyCreated", APIKeyCreated(key: "orc_0123abcd_secret", info: keyInfo),
            #"{"created_at":"2023-11-14T22:13:20Z","expires_at":"2023-11-15T22:13:20Z","id":"00000000-0000-4000-8000-000000000001","key":"orc_0123abcd_secret","last_used_at":null,"name":"ci","owner_id":"00000000-0000-4000-8000-000000000002","owner_name":"Ada","prefix":"orc_0123abcd","revoked_at":null,"role":"partner","scope":"read_only"}"#),
        JSONExample("AuditLogEntry", AuditLogEntry(
            timestamp: "2025-01-02T03:04:05.123Z", eventID: "e-1", requestID: nil, service: "orcastra-api", version: "1.0.0",
            action: "instance.stop", category: "instance", severity: .info, actor: actor,
            target: AuditTarget(type: "instance", id: "web", host: "node1", project: nil), result: .failure,
            errorCode: "timeout", errorMessage: nil, details: ["force": "true"],
            metadata: AuditMetadata(durationMs: 12.5, before: nil, after: ["state": "stopped"]),
            host: LogHost(name: "h1", containerID: nil)),
            #"{"@timestamp":"2025-01-02T03:04:05.123Z","action":"instance.stop","actor":{"groups":["ops"],"organizations":[],"role":null,"session_id":"s-1","user_id":"u-1","user_type":"user"},"category":"instance","details":{"force":"true"},"error_code":"timeout","error_message":null,"event_id":"e-1","host":{"container_id":null,"name":"h1"},"log_type":"audit","metadata":{"after":{"state":"stopped"},"before":null,"duration_ms":12.5},"request_id":null,"result":"failure","service":"orcastra-api","severity":"info","target":{"host":"node1","id":"web","project":null,"type":"instance"},"version":"1.0.0"}"#),
        JSONExample("AuditMetadata, empty", AuditMetadata(),
            #"{"after":null,"before":null,"duration_ms":null}"#),
        JSONExample("AccessLogEntry", AccessLogEntry(
            timestamp: "2025-01-02T03:04:05.123Z", requestID: "r-1", service: "orcastra-gateway", version: "1.0.0",
            method: "GET", path: "/api/v1/instances", queryParams: nil, statusCode: 200, latencyMs: 1.25, requestSize: 0,
            responseSize: 512, user: AccessLogUser(id: "u-1", type: "user", role: nil, groups: ["ops"]),
            client: AccessLogClient(ip: "10.0.0.9", proxyIP: nil, ipSource: "x-forwarded-for", proxyTrusted: true,
                                    userAgent: nil, origin: "https://orcastra.test"),
            error: nil, host: LogHost(name: "h1", containerID: "abc123")),
            #"{"@timestamp":"2025-01-02T03:04:05.123Z","client":{"ip":"10.0.0.9","ip_source":"x-forwarded-for","origin":"https://orcastra.test","proxy_ip":null,"proxy_trusted":true,"user_agent":null},"error":null,"host":{"container_id":"abc123","name":"h1"},"latency_ms":1.25,"log_type":"access","method":"GET","path":"/api/v1/instances","query_params":null,"request_id":"r-1","request_size":0,"response_size":512,"service":"orcastra-gateway","status_code":200,"user":{"groups":["ops"],"id":"u-1","organizations":[],"role":null,"type":"user"},"version":"1.0.0"}"#),
        JSONExample("AccessLogUser, anonymous", AccessLogUser(),
            #"{"groups":[],"id":null,"organizations":[],"role":null,"type":"anonymous"}"#),
        JSONExample("AccessLogClient, nothing known", AccessLogClient(ip: nil, proxyIP: nil, ipSource: "peer", proxyTrusted: false,
                                                                     userAgent: nil, origin: nil),
            #"{"ip":null,"ip_source":"peer","origin":null,"proxy_ip":null,"proxy_trusted":false,"user_agent":null}"#),
        JSONExample("AuditRecord", record,
            #"{"action":"setting.update","actor":{"groups":[],"organizations":[],"role":null,"session_id":null,"user_id":"system","user_type":"system"},"category":"setting","details":{},"error_code":null,"error_message":null,"event_id":"e-7","recorded_at":"2025-01-02T03:04:05.123456Z","request_id":"r-9","result":"success","seq":7,"severity":"warning","target":{"host":null,"id":"theme","project":null,"type":"setting"}}"#),
        JSONExample("AuditRecordPage, last page", AuditRecordPage(items: [record], nextCursor: nil),
            #"{"items":[{"action":"setting.update","actor":{"groups":[],"organizations":[],"role":null,"session_id":null,"user_id":"system","user_type":"system"},"category":"setting","details":{},"error_code":null,"error_message":null,"event_id":"e-7","recorded_at":"2025-01-02T03:04:05.123456Z","request_id":"r-9","result":"success","seq":7,"severity":"warning","target":{"host":null,"id":"theme","project":null,"type":"setting"}}],"next_cursor":null}"#),
        JSONExample("AuditRecordPage, more to come", AuditRecordPage(items: [], nextCursor: "c-2"),
            #"{"items":[],"next_cursor":"c-2"}"#),
        JSONExample("ListPage, last page (its items leave out unset fields)", ListPage(items: [
            SessionInfo(id: id, userID: otherID, userName: nil, userEmail: "ada@orcastra.test", createdAt: date, lastSeenAt: later,
                        ip: "10.0.0.9", userAgent: nil, current: true),
        ]),
            #"{"items":[{"created_at":"2023-11-14T22:13:20Z","current":true,"id":"00000000-0000-4000-8000-000000000001","ip":"10.0.0.9","last_seen_at":"2023-11-15T22:13:20Z","user_email":"ada@orcastra.test","user_id":"00000000-0000-4000-8000-000000000002"}],"next_cursor":null}"#),
        JSONExample("ListPage, more to come", ListPage(items: ["a"], nextCursor: "c-2"),
            #"{"items":["a"],"next_cursor":"c-2"}"#),
        JSONExample("InstanceDetail, not running", InstanceDetail(
            summary: summary, profiles: ["default"], config: ["limits.cpu": "2"], devices: ["root": ["path": "/", "type": "disk"]],
            state: nil, snapshots: [SnapshotInfo(name: "snap0", createdAt: nil, stateful: false)]),
            #"{"cluster_id":"00000000-0000-4000-8000-000000000001","cluster_name":"lab","config":{"limits.cpu":"2"},"created_at":"2025-01-02T03:04:05.123456789Z","devices":{"root":{"path":"/","type":"disk"}},"image":"debian/12","name":"web","profiles":["default"],"project":"default","snapshots":[{"name":"snap0","stateful":false}],"state":null,"status":"Running","type":"container","your_entitlements":null}"#),
        JSONExample("InstanceDetail, running", InstanceDetail(
            summary: summary, profiles: [], config: [:], devices: [:],
            state: InstanceState(status: "Running", cpuUsageNs: 123, memoryUsageBytes: nil, memoryPeakBytes: 4096, processes: nil,
                                 disk: ["root": 1024], network: ["eth0": ["10.0.0.10"]]),
            snapshots: []),
            #"{"cluster_id":"00000000-0000-4000-8000-000000000001","cluster_name":"lab","config":{},"created_at":"2025-01-02T03:04:05.123456789Z","devices":{},"image":"debian/12","name":"web","profiles":[],"project":"default","snapshots":[],"state":{"cpu_usage_ns":123,"disk":{"root":1024},"memory_peak_bytes":4096,"network":{"eth0":["10.0.0.10"]},"status":"Running"},"status":"Running","type":"container","your_entitlements":null}"#),
        JSONExample("OperationInfo", OperationInfo(
            id: id, clusterID: otherID, action: "instance.create", project: "default", instance: "web", snapshot: nil,
            status: .running, progress: 42, stage: nil, error: nil, createdAt: date, updatedAt: later),
            #"{"action":"instance.create","cluster_id":"00000000-0000-4000-8000-000000000002","created_at":"2023-11-14T22:13:20Z","error":null,"id":"00000000-0000-4000-8000-000000000001","instance":"web","operation_id":"00000000-0000-4000-8000-000000000001","progress":42,"project":"default","snapshot":null,"stage":null,"status":"running","updated_at":"2023-11-15T22:13:20Z"}"#),
        JSONExample("TokenClaims, one audience", TokenClaims(
            issuer: "https://idp.test", subject: "u-1", audience: ["orcastra"], expires: 1_700_000_300, issuedAt: 1_700_000_000,
            groups: ["ops"]),
            #"{"aud":"orcastra","exp":1700000300,"groups":["ops"],"iat":1700000000,"iss":"https://idp.test","sub":"u-1"}"#),
        JSONExample("TokenClaims, two audiences", TokenClaims(subject: "u-1", audience: ["orcastra", "other"]),
            #"{"aud":["orcastra","other"],"sub":"u-1"}"#),
    ]

    @Test("every optional field is written, null when unset, and reads back with or without its nulls", arguments: Self.examples)
    func json(_ example: JSONExample) throws {
        #expect(try example.differences() == [])
    }
}
