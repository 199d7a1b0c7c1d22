import OrcastraRuntime

/// How long Orcastra waits for LXD/Incus servers, and what registration allows non-admins.
struct ClusterSettings: Sendable {
    /// TCP + TLS connect (`LXD_CONNECT_TIMEOUT_SECONDS`, 3).
    var connectTimeout: Duration = .seconds(3)
    /// One call of a change (create, start, delete…), start to last byte (`LXD_TIMEOUT_SECONDS`, 30).
    var callTimeout: Duration = .seconds(30)
    /// Every read (`LXD_LIST_TIMEOUT_SECONDS`, 5): status, resources, an instance's detail and
    /// snapshots answer 504 after it, and in the aggregated instance list a slower cluster is
    /// reported as `timeout` and the others are listed.
    var listTimeout: Duration = .seconds(5)
    /// Clusters the aggregated instance list asks at once (`LXD_LIST_CONCURRENCY`, 16): the
    /// rest wait for a free place, so a thousand clusters are not a thousand connections (and
    /// answers held in memory) at the same moment.
    var listConcurrency = 16
    /// How long the aggregated list remembers that a cluster did not answer (no connection or
    /// no answer within `listTimeout`) and reports it at once instead of asking again
    /// (`LXD_LIST_FAILURE_MEMORY_SECONDS`, 30; 0: always ask). A dead cluster then costs its
    /// deadline once per window, not once per request.
    var listFailureMemory: Duration = .seconds(30)

    /// Which addresses non-admins may register (`CLUSTER_ALLOWED_CIDRS` opens private ranges).
    var addresses = ClusterAddressPolicy()
    /// Clusters one partner may own (`MAX_CLUSTERS_PER_PARTNER`, 50); admins are not counted.
    var maxPerPartner = 50
    /// Registrations one user may start in an hour (`CLUSTER_REGISTRATIONS_PER_HOUR`, 10).
    var registrationsPerHour = 10

    init() {}

    init(settings: Settings) throws(ConfigError) {
        self.connectTimeout = .seconds(try settings.int("LXD_CONNECT_TIMEOUT_SECONDS", default: 3, range: 1...60))
        self.callTimeout = .seconds(try settings.int("LXD_TIMEOUT_SECONDS", default: 30, range: 1...600))
        self.listTimeout = .seconds(try settings.int("LXD_LIST_TIMEOUT_SECONDS", default: 5, range: 1...120))
        self.listConcurrency = try settings.int("LXD_LIST_CONCURRENCY", default: 16, range: 1...1024)
        self.listFailureMemory = .seconds(try settings.int("LXD_LIST_FAILURE_MEMORY_SECONDS", default: 30, range: 0...3600))
        self.addresses = try ClusterAddressPolicy(settings: settings)
        self.maxPerPartner = try settings.int("MAX_CLUSTERS_PER_PARTNER", default: 50, range: 1...100_000)
        self.registrationsPerHour = try settings.int("CLUSTER_REGISTRATIONS_PER_HOUR", default: 10, range: 1...10_000)
    }
}
