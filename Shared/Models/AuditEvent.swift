/// One thing worth auditing, as the code that did it describes it: what was done, by whom, to
/// what, and how it ended.
///
/// The audit trail adds what the caller cannot know (event id, timestamp, service, version,
/// host, position in the hash chain) and writes the row and the `log_type: "audit"` line.
/// `details`, `before` and `after` are stored in PostgreSQL and shipped to OpenSearch as they
/// are, so they must never hold a secret, a token or a key: name the secret's path or the
/// key's fingerprint instead.
public struct AuditEvent: Sendable, Equatable {
    /// Dotted `area.verb`, e.g. `auth.login`, `api_key.create`, `secret.write`.
    public var action: String
    /// The area the action belongs to, e.g. `authentication`, `secrets`, `pki`, `settings`.
    public var category: String
    public var severity: AuditSeverity
    public var actor: AuditActor
    public var target: AuditTarget
    public var result: AuditResult
    /// The `APIError` code when the action failed or was denied.
    public var errorCode: String?
    public var errorMessage: String?
    /// Free-form facts about the action; never secrets.
    public var details: [String: String]
    /// The request the action was part of; nil for actions no request caused (start-up, jobs).
    public var requestID: String?
    /// How long the action took; the trail measures the audited body when this is nil.
    public var durationMs: Double?
    /// The changed object's relevant fields before and after the change; never secrets.
    public var before: [String: String]?
    public var after: [String: String]?

    public init(
        action: String, category: String, severity: AuditSeverity = .info, actor: AuditActor,
        target: AuditTarget = AuditTarget(), result: AuditResult = .success, errorCode: String? = nil,
        errorMessage: String? = nil, details: [String: String] = [:], requestID: String? = nil,
        durationMs: Double? = nil, before: [String: String]? = nil, after: [String: String]? = nil
    ) {
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
        self.durationMs = durationMs
        self.before = before
        self.after = after
    }
}

/// How an audited action ended: done, failed, or refused for lack of permission.
public enum AuditResult: String, Codable, Sendable, CaseIterable {
    case success
    case failure
    case denied
}

/// How much attention an event deserves when someone reads the trail.
public enum AuditSeverity: String, Codable, Sendable, CaseIterable {
    case info
    case warning
    case critical
}
