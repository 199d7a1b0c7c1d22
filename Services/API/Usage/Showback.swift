import Foundation

/// A month's showback statement for one organization: per project, the hours charged and what
/// they cost at the organization's rates (its own, or its owner's default) in effect at the
/// end of the month. Amounts are rounded to cents per resource and line, and the total is the
/// sum of the lines, so a statement always adds up.
struct ShowbackStatement: Codable, Sendable, Equatable {
    var organizationID: UUID?
    var organizationName: String?
    var month: String
    var closed: Bool
    var closedAt: Date?
    /// nil: no rates are set for this organization; the hours are still given.
    var rates: UsageRates?
    var lines: [Line]
    var totals: Totals

    struct Line: Codable, Sendable, Equatable {
        var projectID: UUID?
        var projectName: String?
        var clusterID: UUID?
        var clusterName: String?
        var lxdProject: String?
        /// vCPU-hours and memory GiB-hours charged: while existing, or while running with
        /// `running_only` rates.
        var vcpuHours: Double
        var memoryGiBHours: Double
        var diskGiBHours: Double
        var vcpuAmount: Decimal?
        var memoryAmount: Decimal?
        var diskAmount: Decimal?
        var amount: Decimal?

        enum CodingKeys: String, CodingKey {
            case projectID = "project_id", projectName = "project_name", clusterID = "cluster_id", clusterName = "cluster_name"
            case lxdProject = "lxd_project", vcpuHours = "vcpu_hours", memoryGiBHours = "memory_gib_hours", diskGiBHours = "disk_gib_hours"
            case vcpuAmount = "vcpu_amount", memoryAmount = "memory_amount", diskAmount = "disk_amount", amount
        }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(self.projectID, forKey: .projectID)
            try c.encode(self.projectName, forKey: .projectName)
            try c.encode(self.clusterID, forKey: .clusterID)
            try c.encode(self.clusterName, forKey: .clusterName)
            try c.encode(self.lxdProject, forKey: .lxdProject)
            try c.encode(self.vcpuHours, forKey: .vcpuHours)
            try c.encode(self.memoryGiBHours, forKey: .memoryGiBHours)
            try c.encode(self.diskGiBHours, forKey: .diskGiBHours)
            try c.encode(self.vcpuAmount, forKey: .vcpuAmount)
            try c.encode(self.memoryAmount, forKey: .memoryAmount)
            try c.encode(self.diskAmount, forKey: .diskAmount)
            try c.encode(self.amount, forKey: .amount)
        }
    }

    struct Totals: Codable, Sendable, Equatable {
        var vcpuHours: Double
        var memoryGiBHours: Double
        var diskGiBHours: Double
        var amount: Decimal?

        enum CodingKeys: String, CodingKey {
            case vcpuHours = "vcpu_hours", memoryGiBHours = "memory_gib_hours", diskGiBHours = "disk_gib_hours", amount
        }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(self.vcpuHours, forKey: .vcpuHours)
            try c.encode(self.memoryGiBHours, forKey: .memoryGiBHours)
            try c.encode(self.diskGiBHours, forKey: .diskGiBHours)
            try c.encode(self.amount, forKey: .amount)
        }
    }

    enum CodingKeys: String, CodingKey {
        case organizationID = "organization_id", organizationName = "organization_name", month, closed
        case closedAt = "closed_at", rates, lines, totals
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(self.organizationID, forKey: .organizationID)
        try c.encode(self.organizationName, forKey: .organizationName)
        try c.encode(self.month, forKey: .month)
        try c.encode(self.closed, forKey: .closed)
        try c.encode(self.closedAt, forKey: .closedAt)
        try c.encode(self.rates, forKey: .rates)
        try c.encode(self.lines, forKey: .lines)
        try c.encode(self.totals, forKey: .totals)
    }

    /// The statement of one organization's usage lines (grouped by project) at `rates`.
    init(organizationID: UUID?, organizationName: String?, month: String, closed: Bool, closedAt: Date?, rates: UsageRates?, usage: [UsageReport.Line]) {
        (self.organizationID, self.organizationName, self.month, self.closed, self.closedAt, self.rates) =
            (organizationID, organizationName, month, closed, closedAt, rates)
        let runningOnly = rates?.runningOnly ?? false
        self.lines = usage.map { line in
            let a = line.amounts
            let vcpu = UsageReport.Amounts.hours(runningOnly ? a.vcpuSecondsRunning : a.vcpuSeconds)
            let memory = UsageReport.Amounts.hours((runningOnly ? a.memoryByteSecondsRunning : a.memoryByteSeconds) / Double(1 << 30))
            let disk = UsageReport.Amounts.hours(a.diskByteSeconds / Double(1 << 30))
            var charged = Line(projectID: line.projectID, projectName: line.projectName, clusterID: line.clusterID, clusterName: line.clusterName,
                               lxdProject: line.lxdProject, vcpuHours: vcpu, memoryGiBHours: memory, diskGiBHours: disk)
            if let rates {
                charged.vcpuAmount = Self.cents(vcpu, rates.vcpuHour)
                charged.memoryAmount = Self.cents(memory, rates.memoryGiBHour)
                charged.diskAmount = Self.cents(disk, rates.diskGiBHour)
                charged.amount = charged.vcpuAmount! + charged.memoryAmount! + charged.diskAmount!
            }
            return charged
        }
        self.totals = Self.totals(of: self.lines, priced: rates != nil)
    }

    /// The statement as someone who sees only `projects` of it may read it: their lines, and
    /// totals over those alone.
    func limited(to projects: Set<UUID?>) -> ShowbackStatement {
        var limited = self
        limited.lines = self.lines.filter { projects.contains($0.projectID) }
        limited.totals = Self.totals(of: limited.lines, priced: self.rates != nil)
        return limited
    }

    static func totals(of lines: [Line], priced: Bool) -> Totals {
        Totals(vcpuHours: UsageReport.Amounts.rounded(lines.reduce(0) { $0 + $1.vcpuHours }),
               memoryGiBHours: UsageReport.Amounts.rounded(lines.reduce(0) { $0 + $1.memoryGiBHours }),
               diskGiBHours: UsageReport.Amounts.rounded(lines.reduce(0) { $0 + $1.diskGiBHours }),
               amount: priced ? lines.reduce(Decimal(0)) { $0 + ($1.amount ?? 0) } : nil)
    }

    /// `hours` × `price`, rounded half up to cents. The hours go through their decimal text,
    /// so 1.25 h is 1.25 exactly, not the nearest binary fraction.
    static func cents(_ hours: Double, _ price: Decimal) -> Decimal {
        var product = (Decimal(string: String(hours)) ?? 0) * price
        var rounded = Decimal()
        NSDecimalRound(&rounded, &product, 2, .plain)
        return rounded
    }
}
