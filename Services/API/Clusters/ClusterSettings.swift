import OrcastraRuntime

/// How long Orcastra waits for LXD/Incus servers, and what registration allows non-admins.
struct ClusterSettings: Sendable {
    /// TCP + TLS connect (`LXD_CONNECT_TIMEOUT_SECONDS`, 3).
    var connectTimeout: Duration = .seconds(3)
    /// One call, start to last byte (`LXD_TIMEOUT_SECONDS`, 30).
    var callTimeout: Duration = .seconds(30)
    /// Each cluster's share of the aggregated instance list (`LXD_LIST_TIMEOUT_SECONDS`, 5): a
    /// slower cluster is reported as `timeout` and the others are listed.
    var listTimeout: Duration = .seconds(5)

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
        self.addresses = try ClusterAddressPolicy(settings: settings)
        self.maxPerPartner = try settings.int("MAX_CLUSTERS_PER_PARTNER", default: 50, range: 1...100_000)
        self.registrationsPerHour = try settings.int("CLUSTER_REGISTRATIONS_PER_HOUR", default: 10, range: 1...10_000)
    }
}
