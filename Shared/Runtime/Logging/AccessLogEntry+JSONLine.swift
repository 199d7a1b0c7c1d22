import OrcastraModels

extension AccessLogEntry {
    /// The access line, keys in sorted order, written without `JSONEncoder`: it is written once
    /// per request. Field for field what `Codable` gives (`AccessLogLineTests`).
    public func jsonLine() -> [UInt8] {
        var line = JSONLine(capacity: 640)
        line.string("@timestamp", self.timestamp)
        line.object("client") { c in
            c.string("ip", self.client.ip)
            c.string("ip_source", self.client.ipSource)
            c.string("origin", self.client.origin)
            c.string("proxy_ip", self.client.proxyIP)
            c.bool("proxy_trusted", self.client.proxyTrusted)
            c.string("user_agent", self.client.userAgent)
        }
        line.string("error", self.error)
        line.object("host") { h in
            h.string("container_id", self.host.containerID)
            h.string("name", self.host.name)
        }
        line.double("latency_ms", self.latencyMs)
        line.string("log_type", self.logType)
        line.string("method", self.method)
        line.string("path", self.path)
        line.string("query_params", self.queryParams)
        line.string("request_id", self.requestID)
        line.int("request_size", self.requestSize)
        line.int("response_size", self.responseSize)
        line.string("service", self.service)
        line.int("status_code", self.statusCode)
        line.object("user") { u in
            u.strings("groups", self.user.groups)
            u.string("id", self.user.id)
            u.strings("organizations", self.user.organizations)
            u.string("role", self.user.role)
            u.string("type", self.user.type)
        }
        line.string("version", self.version)
        return line.finish()
    }
}
