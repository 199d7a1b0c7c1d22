/// One audit event as `GET /api/v1/audit-log` lists it: the stored event with its place in
/// the chain (`seq`), without the fields that only matter to the log shipper.
public struct AuditRecord: Codable, Sendable, Equatable {
    /// Position in the hash chain: 1, 2, 3, … without gaps; newer events have larger numbers.
    public var seq: Int
    public var eventID: String
    /// RFC 3339, UTC, microseconds: the time PostgreSQL stored the event.
    public var recordedAt: String
    public var action: String
    public var category: String
    public var severity: AuditSeverity
    public var actor: AuditActor
    public var target: AuditTarget
    public var result: AuditResult
    @NullWhenNil public var errorCode: String?
    @NullWhenNil public var errorMessage: String?
    /// Never secrets; see `AuditEvent.details`.
    public var details: [String: String]
    @NullWhenNil public var requestID: String?

    public init(
        seq: Int, eventID: String, recordedAt: String, action: String, category: String, severity: AuditSeverity,
        actor: AuditActor, target: AuditTarget, result: AuditResult, errorCode: String?, errorMessage: String?,
        details: [String: String], requestID: String?
    ) {
        self.seq = seq
        self.eventID = eventID
        self.recordedAt = recordedAt
        self.action = action
        self.category = category
        self.severity = severity
        self.actor = actor
        self.target = target
        self.result = result
        self.errorCode = errorCode
        self.errorMessage = errorMessage
        self.details = details
        self.requestID = requestID
    }

    enum CodingKeys: String, CodingKey {
        case seq
        case eventID = "event_id"
        case recordedAt = "recorded_at"
        case action, category, severity, actor, target, result
        case errorCode = "error_code"
        case errorMessage = "error_message"
        case details
        case requestID = "request_id"
    }
}

/// One page of the audit log, newest first; `next_cursor` fetches the older events after it.
public struct AuditRecordPage: Codable, Sendable, Equatable {
    public var items: [AuditRecord]
    /// Opaque; pass it back as `cursor`. `null` on the last page.
    @NullWhenNil public var nextCursor: String?

    public init(items: [AuditRecord], nextCursor: String?) {
        self.items = items
        self.nextCursor = nextCursor
    }

    enum CodingKeys: String, CodingKey {
        case items
        case nextCursor = "next_cursor"
    }
}
