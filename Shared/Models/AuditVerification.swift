/// The answer of "verify integrity": whether the stored audit chain is exactly what the API
/// appended, and if not, which rows say otherwise.
public struct AuditVerification: Codable, Sendable, Equatable {
    /// True when there is no problem.
    public var valid: Bool
    /// How many rows were read and checked.
    public var checked: Int
    /// The sequence number of the newest event as the chain head (the high-water mark) records it.
    public var headSeq: Int
    /// In chain order; at most `AuditVerification.problemLimit` of them, the first ones found.
    public var problems: [AuditProblem]
    /// The first row hashed with the chain key (an HMAC); earlier rows predate keying. Null
    /// while nothing has been appended with a key.
    @NullWhenNil public var keyedFromSeq: Int?
    /// The newest anchor (a copy of the head kept outside the database) the check compared
    /// against, and when it was written; null when none has been written yet.
    @NullWhenNil public var anchorSeq: Int?
    @NullWhenNil public var anchoredAt: String?

    /// A badly damaged table would otherwise produce one problem per row; the first ones say
    /// where to look.
    public static let problemLimit = 1000

    public init(valid: Bool, checked: Int, headSeq: Int, problems: [AuditProblem], keyedFromSeq: Int? = nil, anchorSeq: Int? = nil, anchoredAt: String? = nil) {
        self.valid = valid
        self.checked = checked
        self.headSeq = headSeq
        self.problems = problems
        self.keyedFromSeq = keyedFromSeq
        self.anchorSeq = anchorSeq
        self.anchoredAt = anchoredAt
    }

    enum CodingKeys: String, CodingKey {
        case valid, checked
        case headSeq = "head_seq"
        case problems
        case keyedFromSeq = "keyed_from_seq"
        case anchorSeq = "anchor_seq"
        case anchoredAt = "anchored_at"
    }
}

/// One place where the chain disagrees with itself.
public struct AuditProblem: Codable, Sendable, Equatable {
    /// What the disagreement most likely means.
    public enum Kind: String, Codable, Sendable, CaseIterable {
        /// A row's content, one of its columns, or (with a recomputed hash) its hash was changed.
        case edited
        /// A row sits at a position other than the one it was written at.
        case reordered
        /// Rows between two others are gone; `seq` is the first missing one.
        case missing
        /// The newest rows are gone: the head records more rows than the table holds.
        case truncated
    }

    /// The row concerned; for `missing`, the first missing sequence number; for `truncated`,
    /// the head's sequence number.
    public var seq: Int
    /// The event id of the row concerned, when there is a row to name.
    @NullWhenNil public var eventID: String?
    public var kind: Kind
    public var message: String

    public init(seq: Int, eventID: String?, kind: Kind, message: String) {
        self.seq = seq
        self.eventID = eventID
        self.kind = kind
        self.message = message
    }

    enum CodingKeys: String, CodingKey {
        case seq
        case eventID = "event_id"
        case kind, message
    }
}
