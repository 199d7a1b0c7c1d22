/// One `log_type: "security"` line: a scanner probed a well-known secret or admin path, or an
/// address was blocked for doing so too often. Every field is written (nulls included), like
/// the access and audit lines, so an index mapping never has to guess a type.
public struct SecurityLogEntry: Codable, Sendable, Equatable {
    public var timestamp: String
    public var logType = "security"
    public var service: String
    public var version: String
    /// `probe` (a probe path was asked for) or `blocked` (the address is now blocked).
    public var event: String
    public var requestID: String
    public var clientIP: String?
    public var method: String
    public var path: String
    /// Probes counted from this address in the current window.
    public var probes: Int?

    public init(timestamp: String, service: String, version: String, event: String, requestID: String, clientIP: String?,
                method: String, path: String, probes: Int?) {
        self.timestamp = timestamp
        self.service = service
        self.version = version
        self.event = event
        self.requestID = requestID
        self.clientIP = clientIP
        self.method = method
        self.path = path
        self.probes = probes
    }

    enum CodingKeys: String, CodingKey {
        case timestamp = "@timestamp"
        case logType = "log_type"
        case service, version, event
        case requestID = "request_id"
        case clientIP = "client_ip"
        case method, path, probes
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(self.timestamp, forKey: .timestamp)
        try c.encode(self.logType, forKey: .logType)
        try c.encode(self.service, forKey: .service)
        try c.encode(self.version, forKey: .version)
        try c.encode(self.event, forKey: .event)
        try c.encode(self.requestID, forKey: .requestID)
        try c.encode(self.clientIP, forKey: .clientIP)
        try c.encode(self.method, forKey: .method)
        try c.encode(self.path, forKey: .path)
        try c.encode(self.probes, forKey: .probes)
    }
}
