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
    public var requestID: String?
    public var service: String
    public var version: String
    public var action: String
    public var category: String
    public var severity: AuditSeverity
    public var actor: AuditActor
    public var target: AuditTarget
    public var result: AuditResult
    public var errorCode: String?
    public var errorMessage: String?
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

    /// Optional fields are written as `null` rather than left out, as in `AccessLogEntry`.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(self.timestamp, forKey: .timestamp)
        try c.encode(self.logType, forKey: .logType)
        try c.encode(self.eventID, forKey: .eventID)
        try c.encode(self.requestID, forKey: .requestID)
        try c.encode(self.service, forKey: .service)
        try c.encode(self.version, forKey: .version)
        try c.encode(self.action, forKey: .action)
        try c.encode(self.category, forKey: .category)
        try c.encode(self.severity, forKey: .severity)
        try c.encode(self.actor, forKey: .actor)
        try c.encode(self.target, forKey: .target)
        try c.encode(self.result, forKey: .result)
        try c.encode(self.errorCode, forKey: .errorCode)
        try c.encode(self.errorMessage, forKey: .errorMessage)
        try c.encode(self.details, forKey: .details)
        try c.encode(self.metadata, forKey: .metadata)
        try c.encode(self.host, forKey: .host)
    }
}

/// How long the action took and, for changes, the object before and after; never secrets.
public struct AuditMetadata: Codable, Sendable, Equatable {
    public var durationMs: Double?
    public var before: [String: String]?
    public var after: [String: String]?

    public init(durationMs: Double? = nil, before: [String: String]? = nil, after: [String: String]? = nil) {
        self.durationMs = durationMs
        self.before = before
        self.after = after
    }

    enum CodingKeys: String, CodingKey {
        case durationMs = "duration_ms"
        case before, after
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(self.durationMs, forKey: .durationMs)
        try c.encode(self.before, forKey: .before)
        try c.encode(self.after, forKey: .after)
    }
}
