import Foundation

/// Usage over a period, computed from ledger rows: each row's state holds from its time to the
/// instance's next row (or the period's end), clipped to the period, less the cluster's gaps.
///
/// Amounts are hours: instance-hours (existing, in any state), running hours, vCPU-hours and
/// memory GiB-hours both allocated (while the instance exists) and running, and root-disk
/// GiB-hours (while it exists). Durations are summed in seconds and divided once, so a period
/// scripted to the second comes out exactly.
enum UsageReport {
    enum Grouping: String, Sendable, CaseIterable {
        case organization, project, instance
    }

    /// What a group used, in seconds and byte-seconds.
    struct Amounts: Sendable, Equatable {
        var existing: Double = 0
        var running: Double = 0
        var vcpuSeconds: Double = 0
        var vcpuSecondsRunning: Double = 0
        var memoryByteSeconds: Double = 0
        var memoryByteSecondsRunning: Double = 0
        var diskByteSeconds: Double = 0

        mutating func add(_ state: UsageState, seconds: Double) {
            self.existing += seconds
            self.vcpuSeconds += Double(state.vcpus) * seconds
            self.memoryByteSeconds += Double(state.memoryBytes) * seconds
            self.diskByteSeconds += Double(state.diskBytes) * seconds
            if state.running {
                self.running += seconds
                self.vcpuSecondsRunning += Double(state.vcpus) * seconds
                self.memoryByteSecondsRunning += Double(state.memoryBytes) * seconds
            }
        }

        mutating func add(_ other: Amounts) {
            self.existing += other.existing
            self.running += other.running
            self.vcpuSeconds += other.vcpuSeconds
            self.vcpuSecondsRunning += other.vcpuSecondsRunning
            self.memoryByteSeconds += other.memoryByteSeconds
            self.memoryByteSecondsRunning += other.memoryByteSecondsRunning
            self.diskByteSeconds += other.diskByteSeconds
        }

        /// The amounts as reported: hours and GiB-hours, to the microhour.
        var hours: [(String, Double)] {
            let gib = Double(1 << 30)
            return [
                ("instance_hours", self.existing), ("running_hours", self.running),
                ("vcpu_hours", self.vcpuSeconds), ("vcpu_hours_running", self.vcpuSecondsRunning),
                ("memory_gib_hours", self.memoryByteSeconds / gib), ("memory_gib_hours_running", self.memoryByteSecondsRunning / gib),
                ("disk_gib_hours", self.diskByteSeconds / gib),
            ].map { ($0.0, Self.hours($0.1)) }
        }

        /// Seconds (or GiB-seconds) as hours (GiB-hours), to the microhour.
        static func hours(_ seconds: Double) -> Double { Self.rounded(seconds / 3600) }

        static func rounded(_ value: Double) -> Double { (value * 1_000_000).rounded() / 1_000_000 }
    }

    /// One line of a report: the group's names and what it used.
    struct Line: Sendable {
        /// The UTC day (`2026-11-01`) of a report split per day.
        var day: String?
        var organizationID: UUID?
        var organizationName: String?
        var projectID: UUID?
        var projectName: String?
        var clusterID: UUID?
        var clusterName: String?
        var lxdProject: String?
        var instance: String?
        var amounts = Amounts()
    }

    /// The lines of `rows` (ordered by instance, then time, as `UsageLedger.rows` reads them)
    /// over [from, to), grouped `by`, in the order groups first appear sorted by name.
    static func lines(_ rows: [UsageLedger.Row], gaps: [UsageLedger.Gap], from: Date, to: Date, by grouping: Grouping) -> [Line] {
        var gapsByCluster: [UUID: [(Date, Date)]] = [:]
        for gap in gaps { gapsByCluster[gap.clusterID, default: []].append((gap.startedAt, gap.endedAt ?? to)) }
        var lines: [String: Line] = [:]
        for (index, row) in rows.enumerated() where row.event != .deleted {
            let next = rows.indices.contains(index + 1) && rows[index + 1].clusterID == row.clusterID && rows[index + 1].key == row.key
                ? rows[index + 1].at : to
            let seconds = Self.seconds(from: max(row.at, from), to: min(next, to), less: gapsByCluster[row.clusterID] ?? [])
            guard seconds > 0 else { continue }
            let (key, fresh) = Self.group(of: row, by: grouping)
            lines[key, default: fresh].amounts.add(row.state, seconds: seconds)
        }
        return lines.values.sorted { Self.sortKey($0).lexicographicallyPrecedes(Self.sortKey($1)) }
    }

    /// The lines of each UTC day in [from, to), each tagged with its day, days in order.
    static func linesPerDay(_ rows: [UsageLedger.Row], gaps: [UsageLedger.Gap], from: Date, to: Date, by grouping: Grouping) -> [Line] {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let format = ISO8601DateFormatter()
        format.formatOptions = [.withFullDate]
        var lines: [Line] = []
        var start = from
        while start < to {
            let midnight = calendar.date(byAdding: .day, value: 1, to: calendar.startOfDay(for: start)) ?? to
            let end = min(midnight, to)
            let day = format.string(from: start)
            lines += Self.lines(rows, gaps: gaps, from: start, to: end, by: grouping).map { line in
                var line = line
                line.day = day
                return line
            }
            start = end
        }
        return lines
    }

    /// Seconds in [start, end) outside every one of `gaps`.
    static func seconds(from start: Date, to end: Date, less gaps: [(Date, Date)]) -> Double {
        guard end > start else { return 0 }
        var total = end.timeIntervalSince(start)
        // Gaps of one cluster never overlap (one is open at a time, and a stale gap ends where
        // a scan closes the open one), so their overlaps with the stretch add up.
        for (gapStart, gapEnd) in gaps {
            let overlap = min(end, gapEnd).timeIntervalSince(max(start, gapStart))
            if overlap > 0 { total -= overlap }
        }
        return max(total, 0)
    }

    private static func group(of row: UsageLedger.Row, by grouping: Grouping) -> (String, Line) {
        let organization = Line(organizationID: row.organizationID, organizationName: row.organizationName)
        switch grouping {
        case .organization:
            return (row.organizationID?.uuidString ?? "-", organization)
        case .project:
            var line = organization
            (line.projectID, line.projectName, line.clusterID, line.clusterName, line.lxdProject) =
                (row.projectID, row.projectName, row.clusterID, row.clusterName, row.key.lxdProject)
            return (row.projectID?.uuidString ?? "\(row.clusterID) \(row.key.lxdProject)", line)
        case .instance:
            var line = organization
            (line.projectID, line.projectName, line.clusterID, line.clusterName, line.lxdProject, line.instance) =
                (row.projectID, row.projectName, row.clusterID, row.clusterName, row.key.lxdProject, row.key.instance)
            return ("\(row.clusterID) \(row.key.lxdProject) \(row.key.instance)", line)
        }
    }

    private static func sortKey(_ line: Line) -> [String] {
        [line.organizationName ?? "\u{10FFFF}", line.organizationID?.uuidString ?? "", line.projectName ?? "\u{10FFFF}",
         line.clusterName ?? "", line.lxdProject ?? "", line.instance ?? ""]
    }
}
