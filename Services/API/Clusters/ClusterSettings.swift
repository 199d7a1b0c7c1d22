import OrcastraRuntime

/// How long Orcastra waits for LXD/Incus servers.
struct ClusterSettings: Sendable {
    /// TCP + TLS connect (`LXD_CONNECT_TIMEOUT_SECONDS`, 3).
    var connectTimeout: Duration = .seconds(3)
    /// One call, start to last byte (`LXD_TIMEOUT_SECONDS`, 30).
    var callTimeout: Duration = .seconds(30)
    /// Each cluster's share of the aggregated instance list (`LXD_LIST_TIMEOUT_SECONDS`, 5): a
    /// slower cluster is reported as `timeout` and the others are listed.
    var listTimeout: Duration = .seconds(5)

    init() {}

    init(settings: Settings) throws(ConfigError) {
        self.connectTimeout = .seconds(try settings.int("LXD_CONNECT_TIMEOUT_SECONDS", default: 3, range: 1...60))
        self.callTimeout = .seconds(try settings.int("LXD_TIMEOUT_SECONDS", default: 30, range: 1...600))
        self.listTimeout = .seconds(try settings.int("LXD_LIST_TIMEOUT_SECONDS", default: 5, range: 1...120))
    }
}
