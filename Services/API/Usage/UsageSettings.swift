import Foundation
import OrcastraRuntime

/// How the usage ledger keeps up with the clusters.
struct UsageSettings: Sendable {
    /// How often every cluster's instances are read whole and compared with the ledger
    /// (`USAGE_RESCAN_SECONDS`, default 300; 0 turns the scan off). Changes made outside
    /// Orcastra are dated to the scan that finds them, so this is the ledger's resolution for
    /// them; changes made through Orcastra are dated exactly.
    var rescanInterval: Duration? = .seconds(300)
    /// The ledger's clock: the system's. Tests set their own, so that hours come out exactly.
    var now: @Sendable () -> Date = { Date() }

    static func read(_ s: Settings) throws(ConfigError) -> UsageSettings {
        let seconds = try s.int("USAGE_RESCAN_SECONDS", default: 300, range: 0...86400)
        return UsageSettings(rescanInterval: seconds == 0 ? nil : .seconds(seconds))
    }
}
