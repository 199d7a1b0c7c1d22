/// One `log_type: "audit"` line, field for field as Services/README.md (Logs) names them.
///
/// Fluent Bit de-duplicates audit lines by `event_id`, so a line written twice (a retry, a
/// replayed buffer) is stored once. The same value, with the microsecond `@timestamp`, is the
/// body of the event's row in the hash-chained PostgreSQL table, so the line and the row
/// always agree.
public struct AuditLogEntry: Codable, Sendable, Equatable {
    public var timestamp: String
    public var logType: String = "audit"
    /// A lowercase UUID, unique per event.
    public var eventID: String
    @NullWhenNil public var requestID: String?
    public var service: String
    public var version: String
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
    public var metadata: AuditMetadata
    public var host: LogHost

    public init(
        timestamp: String, eventID: String, requestID: String?, service: String, version: String,
        action: String, category: String, severity: AuditSeverity, actor: AuditActor, target: AuditTarget,
        result: AuditResult, errorCode: String?, errorMessage: String?, details: [String: String],
        metadata: AuditMetadata, host: LogHost
    ) {
        self.timestamp = timestamp
        self.eventID = eventID
        self.requestID = requestID
        self.service = service
        self.version = version
        self.action = action
        self.category = category
        self.severity = severity
        self.actor = actor
        self.target = target
        self.result = result
        self.errorCode = errorCode
        self.errorMessage = errorMessage
        self.details = details
        self.metadata = metadata
        self.host = host
    }

    enum CodingKeys: String, CodingKey {
        case timestamp = "@timestamp"
        case logType = "log_type"
        case eventID = "event_id"
        case requestID = "request_id"
        case service, version, action, category, severity, actor, target, result
        case errorCode = "error_code"
        case errorMessage = "error_message"
        case details, metadata, host
    }
}

/// How long the action took and, for changes, the object before and after; never secrets.
public struct AuditMetadata: Codable, Sendable, Equatable {
    @NullWhenNil public var durationMs: Double?
    @NullWhenNil public var before: [String: String]?
    @NullWhenNil public var after: [String: String]?

    public init(durationMs: Double? = nil, before: [String: String]? = nil, after: [String: String]? = nil) {
        self.durationMs = durationMs
        self.before = before
        self.after = after
    }

    enum CodingKeys: String, CodingKey {
        case durationMs = "duration_ms"
        case before, after
    }
}
