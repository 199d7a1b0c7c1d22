import Foundation
import OrcastraRuntime
import Testing

@testable import OrcastraAPI

/// The report's arithmetic on scripted ledgers, worked out by hand in each test.
@Suite("Usage report arithmetic")
struct UsageReportTests {
    static let t0 = Date(timeIntervalSince1970: 1_767_225_600)  // 2026-01-01T00:00:00Z
    static let cluster = UUID()
    static let organization = UUID()

    static func at(_ hours: Double) -> Date { t0.addingTimeInterval(hours * 3600) }

    static func row(_ hours: Double, _ instance: String, _ event: UsageEvent, running: Bool, vcpus: Int = 2, memory: Int64 = 1 << 30,
                    disk: Int64 = 10 << 30, project: UUID? = nil) -> UsageLedger.Row {
        UsageLedger.Row(at: at(hours), clusterID: cluster, clusterName: "c", key: .init(lxdProject: "p", instance: instance), event: event,
                        state: UsageState(running: running, vcpus: vcpus, memoryBytes: memory, diskBytes: disk),
                        projectID: project, projectName: project.map { _ in "Shop" }, organizationID: organization, organizationName: "Acme")
    }

    static func amounts(_ lines: [UsageReport.Line]) -> [String: Double] {
        Dictionary(uniqueKeysWithValues: lines.reduce(into: UsageReport.Amounts()) { $0.add($1.amounts) }.hours)
    }

    @Test("created before the period, started, resized, stopped, deleted inside it: each stretch counts once, clipped to the period")
    func lifecycle() {
        // web: 2 vCPU / 1 GiB / 10 GiB disk from -1 h (stopped), started at 1 h, resized to
        // 4 vCPU / 2 GiB at 2 h (running), stopped at 3 h, deleted at 5 h. Period [0 h, 6 h).
        let rows = [
            Self.row(-1, "web", .created, running: false),
            Self.row(1, "web", .started, running: true),
            Self.row(2, "web", .resized, running: true, vcpus: 4, memory: 2 << 30),
            Self.row(3, "web", .stopped, running: false, vcpus: 4, memory: 2 << 30),
            Self.row(5, "web", .deleted, running: false, vcpus: 0, memory: 0, disk: 0),
        ]
        let lines = UsageReport.lines(rows, gaps: [], from: Self.at(0), to: Self.at(6), by: .instance)
        #expect(lines.count == 1 && lines.first?.instance == "web")
        // Exists 0–5 h: 5 h. Runs 1–3 h: 2 h. vCPU: 2×2 h (0–2) + 4×3 h (2–5) = 16; running
        // 2×1 (1–2) + 4×1 (2–3) = 6. Memory GiB: 1×2 + 2×3 = 8; running 1×1 + 2×1 = 3. Disk 10×5 = 50.
        #expect(Self.amounts(lines) == ["instance_hours": 5, "running_hours": 2, "vcpu_hours": 16, "vcpu_hours_running": 6,
                                        "memory_gib_hours": 8, "memory_gib_hours_running": 3, "disk_gib_hours": 50])
    }

    @Test("a gap takes its hours out of every instance of its cluster, and an open gap runs to the period's end")
    func gaps() {
        let rows = [Self.row(0, "a", .created, running: true), Self.row(0, "b", .created, running: false)]
        let closed = UsageLedger.Gap(clusterID: Self.cluster, clusterName: "c", startedAt: Self.at(1), endedAt: Self.at(1.5), reason: "x")
        let open = UsageLedger.Gap(clusterID: Self.cluster, clusterName: "c", startedAt: Self.at(3), endedAt: nil, reason: "y")
        let lines = UsageReport.lines(rows, gaps: [closed, open], from: Self.at(0), to: Self.at(4), by: .instance)
        // Each exists 4 h less 0.5 h and 1 h of gaps: 2.5 h; only `a` runs.
        #expect(lines.map(\.instance) == ["a", "b"])
        #expect(Self.amounts(lines)["instance_hours"] == 5 && Self.amounts(lines)["running_hours"] == 2.5)
        let otherCluster = UsageLedger.Gap(clusterID: UUID(), clusterName: "d", startedAt: Self.at(0), endedAt: Self.at(4), reason: "z")
        #expect(Self.amounts(UsageReport.lines(rows, gaps: [otherCluster], from: Self.at(0), to: Self.at(4), by: .instance))["instance_hours"] == 8)
    }

    @Test("grouping by project and organization adds the instances' stretches; an instance outside any project is a group of its own")
    func grouping() {
        let project = UUID()
        var outside = Self.row(0, "c", .observed, running: true)
        (outside.projectID, outside.organizationID, outside.organizationName) = (nil, nil, nil)
        let rows = [Self.row(0, "a", .created, running: true, project: project), Self.row(0, "b", .created, running: false, project: project), outside]
        let byProject = UsageReport.lines(rows, gaps: [], from: Self.at(0), to: Self.at(1), by: .project)
        #expect(byProject.count == 2 && byProject[0].projectName == "Shop" && byProject[0].amounts.existing == 7200)
        #expect(byProject[1].projectID == nil && byProject[1].lxdProject == "p" && byProject[1].amounts.running == 3600)
        let byOrganization = UsageReport.lines(rows, gaps: [], from: Self.at(0), to: Self.at(1), by: .organization)
        #expect(byOrganization.map(\.organizationName) == ["Acme", nil] && byOrganization[0].instance == nil)
    }

    @Test("a report per day splits each stretch at UTC midnight and tags each line with its day")
    func perDay() {
        // Running from 22:00 on day one to 02:00 on day three: 2 h, 24 h, 2 h.
        let rows = [Self.row(22, "a", .created, running: true), Self.row(50, "a", .deleted, running: false)]
        let lines = UsageReport.linesPerDay(rows, gaps: [], from: Self.at(0), to: Self.at(72), by: .instance)
        #expect(lines.map(\.day) == ["2026-01-01", "2026-01-02", "2026-01-03"])
        #expect(lines.map(\.amounts.running) == [7200, 86400, 7200])
    }

    @Test("an instance's metered state comes from its expanded limits and root disk; what is unstated counts as 0")
    func state() throws {
        let json = #"""
            [{"name":"a","project":"p","status":"Running","expanded_config":{"limits.cpu":"0-2,5","limits.memory":"512MiB"},
              "expanded_devices":{"root":{"type":"disk","path":"/","pool":"default","size":"2GiB"},"eth0":{"type":"nic"}}},
             {"name":"b","status":"Frozen","expanded_config":{"limits.memory":"50%"},"expanded_devices":{"root":{"type":"disk","path":"/"}}},
             {"name":"c","status":"Stopped"}]
            """#
        let states = try JSONDecoder().decode([LXD.MeteredInstance].self, from: Data(json.utf8)).map(UsageState.init)
        #expect(states == [UsageState(running: true, vcpus: 4, memoryBytes: 512 << 20, diskBytes: 2 << 30),
                           UsageState(running: true, vcpus: 0, memoryBytes: 0, diskBytes: 0),
                           UsageState(running: false, vcpus: 0, memoryBytes: 0, diskBytes: 0)])
        let stopped = UsageState(running: false, vcpus: 1, memoryBytes: 1, diskBytes: 1)
        var started = stopped
        started.running = true
        var resized = started
        resized.vcpus = 2
        #expect(UsageState.event(from: nil, to: stopped) == .created && UsageState.event(from: stopped, to: started) == .started)
        #expect(UsageState.event(from: started, to: resized) == .resized && UsageState.event(from: resized, to: nil) == .deleted)
        #expect(UsageState.event(from: stopped, to: stopped) == nil)
    }

    @Test("the query takes dates or RFC 3339 times and refuses anything else with a 400 that names the parameter")
    func query() throws {
        let ok = try UsageQuery(["from": "2026-11-01", "to": "2026-11-02T12:00:00Z", "group_by": "project"].get, accept: nil)
        #expect(ok.to.timeIntervalSince(ok.from) == 36 * 3600 && ok.grouping == .project && !ok.csv)
        #expect(try UsageQuery(["from": "2026-11-01", "to": "2026-11-02"].get, accept: "text/csv").csv)
        #expect(try UsageQuery(["from": "2026-11-01", "to": "2026-11-02", "per": "day"].get, accept: nil).perDay)
        let refused: [([String: String], String)] = [
            ([:], "from is required"), (["from": "2026-11-01"], "to is required"),
            (["from": "2026-02-30", "to": "2026-03-01"], "from must be a date"), (["from": "yesterday", "to": "2026-03-01"], "from must be a date"),
            (["from": "2026-03-02", "to": "2026-03-01"], "to must be later than from"),
            (["from": "2025-01-01", "to": "2026-03-01"], "at most 366 days"),
            (["from": "2026-03-01", "to": "2026-03-02", "group_by": "cluster"], "group_by must be organization, project or instance"),
            (["from": "2026-03-01", "to": "2026-03-02", "format": "xml"], "format must be json or csv"),
            (["from": "2026-03-01", "to": "2026-03-02", "per": "week"], "per must be day"),
        ]
        for (parameters, message) in refused {
            #expect {
                try UsageQuery(parameters.get, accept: nil)
            } throws: { error in
                guard let error = error as? APIError else { return false }
                return error.status == .badRequest && error.code == "invalid_parameter" && error.message.contains(message)
            }
        }
    }

    @Test("a statement charges each project's hours at the rates, rounds each amount to cents half up, and its total is the sum of its lines")
    func statement() {
        var a = UsageReport.Line(projectID: UUID(), projectName: "a")
        a.amounts.add(UsageState(running: true, vcpus: 2, memoryBytes: 1 << 29, diskBytes: 1 << 30), seconds: 3600)  // 2 vCPU-h, 0.5 GiB-h, 1 GiB-h
        var b = UsageReport.Line(projectID: UUID(), projectName: "b")
        b.amounts.add(UsageState(running: false, vcpus: 1, memoryBytes: 1 << 30, diskBytes: 0), seconds: 5400)  // 1.5 vCPU-h, 1.5 GiB-h, stopped
        let rates = UsageRates(currency: "EUR", vcpuHour: Decimal(string: "0.015")!, memoryGiBHour: Decimal(string: "0.005")!,
                               diskGiBHour: Decimal(string: "0.1")!, runningOnly: false)
        let statement = ShowbackStatement(organizationID: UUID(), organizationName: "Acme", month: "2026-01", closed: false, closedAt: nil, rates: rates, usage: [a, b])
        // a: 2 × 0.015 = 0.03, 0.5 × 0.005 = 0.0025 → 0.00, 1 × 0.1 = 0.10: 0.13.
        // b: 1.5 × 0.015 = 0.0225 → 0.02, 1.5 × 0.005 = 0.0075 → 0.01, 0: 0.03.
        #expect(statement.lines.map(\.amount) == [Decimal(string: "0.13"), Decimal(string: "0.03")])
        #expect(statement.totals.amount == Decimal(string: "0.16") && statement.totals.vcpuHours == 3.5)
        var running = rates
        running.runningOnly = true
        let onlyRunning = ShowbackStatement(organizationID: nil, organizationName: nil, month: "2026-01", closed: false, closedAt: nil, rates: running, usage: [a, b])
        #expect(onlyRunning.lines.map(\.amount) == [Decimal(string: "0.13"), Decimal(0)] && onlyRunning.lines[1].vcpuHours == 0)
        #expect(statement.limited(to: [a.projectID]).totals.amount == Decimal(string: "0.13"))
        let unpriced = ShowbackStatement(organizationID: nil, organizationName: nil, month: "2026-01", closed: false, closedAt: nil, rates: nil, usage: [a])
        #expect(unpriced.totals.amount == nil && unpriced.lines[0].vcpuHours == 2)
    }

    @Test("rates need a currency code and prices from 0 to a million with at most six decimals; a month is YYYY-MM")
    func ratesAndMonths() throws {
        let good = UsageRates(currency: "EUR", vcpuHour: Decimal(string: "0.000001")!, memoryGiBHour: 0, diskGiBHour: 1_000_000, runningOnly: true)
        #expect(try good.validated() == good)
        for bad in [UsageRates(currency: "eur", vcpuHour: 1, memoryGiBHour: 1, diskGiBHour: 1, runningOnly: false),
                    UsageRates(currency: "EUR", vcpuHour: -1, memoryGiBHour: 1, diskGiBHour: 1, runningOnly: false),
                    UsageRates(currency: "EUR", vcpuHour: Decimal(string: "0.0000001")!, memoryGiBHour: 1, diskGiBHour: 1, runningOnly: false),
                    UsageRates(currency: "EUR", vcpuHour: 1, memoryGiBHour: 1, diskGiBHour: 1_000_001, runningOnly: false)] {
            #expect(throws: APIError.self) { try bad.validated() }
        }
        let (from, to) = try ShowbackLedger.period(of: "2026-02")
        #expect(from == Date(timeIntervalSince1970: 1_769_904_000) && to.timeIntervalSince(from) == 28 * 86400)
        for bad in ["2026-1", "2026-00", "2026-13", "26-01", "1969-12", "2026-01-01"] {
            #expect(throws: APIError.self) { try ShowbackLedger.period(of: bad) }
        }
    }

    @Test("CSV fields a spreadsheet would misread are quoted or defused")
    func csv() {
        #expect(UsageOutput.csvField("Acme, Inc") == "\"Acme, Inc\"" && UsageOutput.csvField("say \"hi\"") == "\"say \"\"hi\"\"\"")
        #expect(UsageOutput.csvField("=SUM(A1)") == "'=SUM(A1)" && UsageOutput.csvField("plain") == "plain")
        #expect(UsageOutput.number(4) == "4" && UsageOutput.number(0.5) == "0.5")
    }
}

extension Dictionary where Key == String, Value == String {
    func get(_ name: String) -> String? { self[name] }
}
