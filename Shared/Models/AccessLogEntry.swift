/// One `log_type: "access"` line, field for field as Services/README.md (Logs) and the
/// `orcastra-access-template` index template name them.
///
/// Kept in the models library so that the log shipper's expectations and any tool that reads
/// the lines back (tests, an operator's script) share one definition.
public struct AccessLogEntry: Codable, Sendable, Equatable {
    public var timestamp: String
    public var logType: String = "access"
    public var requestID: String
    public var service: String
    public var version: String
    public var method: String
    public var path: String
    @NullWhenNil public var queryParams: String?
    public var statusCode: Int
    public var latencyMs: Double
    public var requestSize: Int
    public var responseSize: Int
    public var user: AccessLogUser
    public var client: AccessLogClient
    @NullWhenNil public var error: String?
    public var host: LogHost

    public init(
        timestamp: String, requestID: String, service: String, version: String, method: String,
        path: String, queryParams: String?, statusCode: Int, latencyMs: Double, requestSize: Int,
        responseSize: Int, user: AccessLogUser, client: AccessLogClient, error: String?, host: LogHost
    ) {
        self.timestamp = timestamp
        self.requestID = requestID
        self.service = service
        self.version = version
        self.method = method
        self.path = path
        self.queryParams = queryParams
        self.statusCode = statusCode
        self.latencyMs = latencyMs
        self.requestSize = requestSize
        self.responseSize = responseSize
        self.user = user
        self.client = client
        self.error = error
        self.host = host
    }

    enum CodingKeys: String, CodingKey {
        case timestamp = "@timestamp"
        case logType = "log_type"
        case requestID = "request_id"
        case service, version, method, path
        case queryParams = "query_params"
        case statusCode = "status_code"
        case latencyMs = "latency_ms"
        case requestSize = "request_size"
        case responseSize = "response_size"
        case user, client, error, host
    }
}

/// Who made the request, as far as the service knows it when the response leaves.
public struct AccessLogUser: Codable, Sendable, Equatable {
    @NullWhenNil public var id: String?
    /// `anonymous`, `user` (signed in), `api_key` or `service`.
    public var type: String
    @NullWhenNil public var role: String?
    public var groups: [String]
    public var organizations: [String]

    public init(id: String? = nil, type: String = "anonymous", role: String? = nil, groups: [String] = [], organizations: [String] = []) {
        self.id = id
        self.type = type
        self.role = role
        self.groups = groups
        self.organizations = organizations
    }

    enum CodingKeys: String, CodingKey { case id, type, role, groups, organizations }
}

/// Where the request came from: the resolved client address and how it was resolved.
public struct AccessLogClient: Codable, Sendable, Equatable {
    @NullWhenNil public var ip: String?
    /// The direct peer when it was a trusted proxy whose forwarding header was used.
    @NullWhenNil public var proxyIP: String?
    /// `peer`, or the name of the forwarding header the address was read from.
    public var ipSource: String
    public var proxyTrusted: Bool
    @NullWhenNil public var userAgent: String?
    @NullWhenNil public var origin: String?

    public init(ip: String?, proxyIP: String?, ipSource: String, proxyTrusted: Bool, userAgent: String?, origin: String?) {
        self.ip = ip
        self.proxyIP = proxyIP
        self.ipSource = ipSource
        self.proxyTrusted = proxyTrusted
        self.userAgent = userAgent
        self.origin = origin
    }

    enum CodingKeys: String, CodingKey {
        case ip
        case proxyIP = "proxy_ip"
        case ipSource = "ip_source"
        case proxyTrusted = "proxy_trusted"
        case userAgent = "user_agent"
        case origin
    }
}

/// The machine that wrote the line; `container_id` is set when running in a container.
public struct LogHost: Codable, Sendable, Equatable {
    public var name: String
    @NullWhenNil public var containerID: String?

    public init(name: String, containerID: String?) {
        self.name = name
        self.containerID = containerID
    }

    enum CodingKeys: String, CodingKey {
        case name
        case containerID = "container_id"
    }
}
