import Foundation

/// What creating an instance would take from its LXD project's quota, answered by
/// `?dry_run=true` before anything is created: each limited resource with what is used, what
/// the instance asks and what would remain, and in `message` the limit that would be hit.
public struct InstanceDryRun: Codable, Sendable, Equatable {
    /// The LXD project the instance would go into.
    public var project: String
    /// Whether LXD would accept the instance as far as the quota goes.
    public var fits: Bool
    public var message: String
    public var resources: [QuotaLine]

    public init(project: String, fits: Bool, message: String, resources: [QuotaLine]) {
        self.project = project
        self.fits = fits
        self.message = message
        self.resources = resources
    }
}

/// One resource of a quota as a create would change it (LXD's resource names and units:
/// `instances`, `containers`, `virtual-machines` in instances, `cpu` in CPUs, `memory` and
/// `disk` in bytes).
public struct QuotaLine: Codable, Sendable, Equatable {
    public var resource: String
    /// Nil: the project sets no limit on it.
    public var limit: Int64?
    public var usage: Int64
    /// What the instance would take; nil when it does not say (a limited resource needs it).
    public var requested: Int64?
    /// What would be left after the instance (nil: no limit, or not known).
    public var remaining: Int64?
    public var fits: Bool

    public init(resource: String, limit: Int64?, usage: Int64, requested: Int64?, remaining: Int64?, fits: Bool) {
        self.resource = resource
        self.limit = limit
        self.usage = usage
        self.requested = requested
        self.remaining = remaining
        self.fits = fits
    }
}
