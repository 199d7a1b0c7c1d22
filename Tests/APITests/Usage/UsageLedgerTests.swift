import Foundation
import OrcastraTestSupport
import Synchronization
import Testing

@testable import OrcastraAPI

/// The ledger against a real container on the LXD test bed, with the ledger's clock set by
/// the test so that every change lands on a whole hour.
@Suite("Usage ledger (real LXD)", .serialized)
struct UsageLedgerTests {
    /// The ledger's clock, moved by hand.
    final class ManualClock: Sendable {
        private let time: Mutex<Date>
        init(_ start: Date) { self.time = Mutex(start) }
        var now: Date { self.time.withLock { $0 } }
        func set(_ date: Date) { self.time.withLock { $0 = date } }
    }

    /// The scripted scenario, all on one container (1 vCPU, 256 MiB, a 512 MiB root disk) in
    /// an Orcastra project; hours after T0 = 2026-01-01T00:00:00Z:
    ///
    /// - 0 h: created through Orcastra, not started;
    /// - 1 h: started through Orcastra;
    /// - 2 h: stopped with `lxc` behind Orcastra's back, found by a scan at 2 h;
    /// - 3 h: started through Orcastra, and scanned (the last time its state is known);
    /// - 4 h: the daemon hangs: the scan fails and a gap opens at 3 h;
    /// - 5 h: the daemon answers again: the gap closes at 5 h; its memory is raised to 512 MiB
    ///   through Orcastra;
    /// - 6 h: deleted through Orcastra.
    ///
    /// By hand, over [0 h, 7 h): it existed 0–6 h less the 3–5 h gap = 4 h; it ran 1–2 h and
    /// 3–6 h less the gap = 2 h. vCPU-hours 1 × 4 = 4 (running 2); memory 0.25 GiB × 3 h
    /// (0–3 h) + 0.5 GiB × 1 h (5–6 h) = 1.25 GiB-hours (running 0.25 + 0.5 = 0.75); disk
    /// 0.5 GiB × 4 = 2 GiB-hours.
    @Test("a scripted container's life comes out in hours exactly as computed by hand, in JSON and CSV, with the gap shown, and its month's statement is priced and then kept")
    func scriptedScenario() async throws {
        let t0 = Date(timeIntervalSince1970: 1_767_225_600)
        @Sendable func at(_ hours: Double) -> Date { t0.addingTimeInterval(hours * 3600) }
        let clock = ManualClock(t0)
        try await ClusterFixture.run(configure: ClusterFixture.partnersMayUseLoopback, api: {
            $0.usage.rescanInterval = nil
            $0.usage.now = { clock.now }
        }) { f in
            let partner = try f.token("partner-usage", role: "partner")
            let other = try f.token("partner-other", role: "partner")
            _ = try await f.userID(other)
            let cluster = try await f.register("a", name: "usage-a", as: partner)
            let suffix = UUID().uuidString.prefix(8).lowercased()
            let (lxdProject, instance) = ("orc-usage-\(suffix)", "u-\(suffix)")
            defer {
                Task {
                    try? await LXDTestBed.lxc("a", ["delete", "--force", "--project", lxdProject, instance])
                    try? await LXDTestBed.lxc("a", ["project", "delete", lxdProject])
                }
            }
            let (_, organization) = try await f.call(.post, "/api/v1/organizations", as: partner, json: #"{"name":"Metered"}"#)
            let org = try #require(organization["id"]?.string)
            let (_, project) = try await f.call(.post, "/api/v1/organizations/\(org)/projects", as: partner,
                                                json: #"{"name":"Billing","cluster_id":"\#(cluster)","lxd_project":"\#(lxdProject)"}"#)
            let projectID = try #require(project["id"]?.string, "\(project)")
            let path = "/api/v1/clusters/\(cluster)/instances/\(instance)?project=\(lxdProject)"
            let statePath = "/api/v1/clusters/\(cluster)/instances/\(instance)/state?project=\(lxdProject)"

            let created = try await f.operate(.post, "/api/v1/projects/\(projectID)/instances", as: partner,
                                              json: #"{"name":"\#(instance)","image":"busybox","limits":{"cpu":"1","memory":"256MiB","disk":"512MiB"}}"#)
            #expect(created["status"]?.string == "success", "\(created)")
            clock.set(at(1))
            #expect(try await f.operate(.put, statePath, as: partner, json: #"{"action":"start"}"#)["status"]?.string == "success")
            clock.set(at(2))
            try await LXDTestBed.lxc("a", ["stop", "--force", "--project", lxdProject, instance])
            let (scanned, scans) = try await f.call(.post, "/api/v1/reports/usage/scan", as: partner)
            #expect(scanned == .ok && scans.items?.first?["recorded"]?.number == 1 && scans.items?.first?["reachable"] == .bool(true), "\(scans)")
            clock.set(at(3))
            #expect(try await f.operate(.put, statePath, as: partner, json: #"{"action":"start"}"#)["status"]?.string == "success")
            #expect(try await f.call(.post, "/api/v1/reports/usage/scan", as: partner).1.items?.first?["recorded"]?.number == 0)
            clock.set(at(4))
            let (_, hung) = try await LXDTestBed.whilePaused("a") { try await f.call(.post, "/api/v1/reports/usage/scan", as: partner) }
            #expect(hung.items?.first?["reachable"] == .bool(false) && hung.items?.first?["error"]?.string?.isEmpty == false, "\(hung)")
            clock.set(at(5))
            #expect(try await f.call(.post, "/api/v1/reports/usage/scan", as: partner).1.items?.first?["reachable"] == .bool(true))
            let (empty, emptyBody) = try await f.call(.patch, path, as: partner, json: #"{"limits":{}}"#)
            #expect(empty == .unprocessableContent && emptyBody["error"]?["code"]?.string == "invalid_limits", "\(emptyBody)")
            #expect(try await f.operate(.patch, path, as: partner, json: #"{"limits":{"memory":"512MiB"}}"#)["status"]?.string == "success")
            let resized = try JSONValue.parse(try await LXDTestBed.lxc("a", ["query", "/1.0/instances/\(instance)?project=\(lxdProject)"]).output)
            #expect(resized["config"]?["limits.memory"]?.string == "512MiB" && resized["config"]?["limits.cpu"]?.string == "1", "\(resized)")
            clock.set(at(6))
            #expect(try await f.operate(.delete, path + "&force=true", as: partner)["status"]?.string == "success")
            clock.set(at(8))

            let events = try await f.h.sql { sql in
                try await sql.boundedQuery("SELECT event || ':' || source FROM usage_ledger WHERE instance = \(instance) ORDER BY at, id",
                                           logger: .init(label: "test")).decode(String.self).all()
            }
            #expect(events == ["created:orcastra", "started:orcastra", "stopped:rescan", "started:orcastra", "resized:orcastra", "deleted:orcastra"])

            let period = "from=2026-01-01T00:00:00Z&to=2026-01-01T07:00:00Z"
            let (status, report) = try await f.call(.get, "/api/v1/reports/usage?\(period)&group_by=instance", as: partner)
            #expect(status == .ok, "\(report)")
            let line = try #require(report["lines"]?.items?.first, "\(report)")
            let expected: [String: Double] = ["instance_hours": 4, "running_hours": 2, "vcpu_hours": 4, "vcpu_hours_running": 2,
                                              "memory_gib_hours": 1.25, "memory_gib_hours_running": 0.75, "disk_gib_hours": 2]
            for (name, value) in expected {
                #expect(line[name]?.number == value, "\(name): \(line)")
                #expect(report["totals"]?[name]?.number == value, "\(name): \(report)")
            }
            #expect(line["instance"]?.string == instance && line["project_name"]?.string == "Billing" && line["organization_name"]?.string == "Metered")
            let (_, daily) = try await f.call(.get, "/api/v1/reports/usage?\(period)&group_by=project&per=day", as: partner)
            #expect(daily["lines"]?.items?.map { $0["day"]?.string } == ["2026-01-01"] && daily["lines"]?.items?.first?["instance_hours"]?.number == 4, "\(daily)")
            let gap = try #require(report["gaps"]?.items?.first, "\(report)")
            #expect(gap["started_at"]?.string == "2026-01-01T03:00:00Z" && gap["ended_at"]?.string == "2026-01-01T05:00:00Z", "\(gap)")

            let (_, csvData) = try await f.client.call(.get, "/api/v1/reports/usage?\(period)&group_by=organization&format=csv", bearer: partner)
            let csv = String(decoding: csvData, as: UTF8.self).split(separator: "\r\n").map(String.init)
            #expect(csv.first == "organization_id,organization_name,project_id,project_name,cluster_id,cluster_name,lxd_project,instance,"
                    + "instance_hours,running_hours,vcpu_hours,vcpu_hours_running,memory_gib_hours,memory_gib_hours_running,disk_gib_hours")
            #expect(csv.count == 3, "\(csv)")
            #expect(csv.dropFirst().first == "\(org),Metered,,,,,,,4,2,4,2,1.25,0.75,2", "\(org)")
            #expect(csv.last == "total,,,,,,,,4,2,4,2,1.25,0.75,2")

            // Another partner sees none of it; a question about the future counts up to now.
            let (_, theirs) = try await f.call(.get, "/api/v1/reports/usage?\(period)", as: other)
            #expect(theirs["lines"]?.items?.isEmpty == true && theirs["totals"]?["instance_hours"]?.number == 0, "\(theirs)")
            let (_, future) = try await f.call(.get, "/api/v1/reports/usage?from=2026-01-01&to=2026-02-01", as: partner)
            #expect(future["counted_until"]?.string == "2026-01-01T08:00:00Z" && future["totals"]?["instance_hours"]?.number == 4, "\(future)")
            #expect(try await f.call(.get, "/api/v1/reports/usage?from=2026-01-02&to=2026-01-01", as: partner).0 == .badRequest)

            // Showback. A partner's default rates price the open month: 4 vCPU-hours × 0.05
            // = 0.20, 1.25 GiB-hours × 0.02 = 0.025 → 0.03 (cents, half up), 2 disk GiB-hours
            // × 0.01 = 0.02: 0.25. The organization's own rates, running time only: 2 × 0.05
            // = 0.10, 0.75 × 0.02 = 0.015 → 0.02, disk 0.02: 0.14.
            let prices = #""vcpu_hour":0.05,"memory_gib_hour":0.02,"disk_gib_hour":0.01"#
            let (setDefault, defaultBody) = try await f.call(.put, "/api/v1/rates/default", as: partner, json: #"{"currency":"EUR",\#(prices)}"#)
            #expect(setDefault == .ok && defaultBody["rates"]?["source"]?.string == "default", "\(defaultBody)")
            let (_, open) = try await f.call(.get, "/api/v1/reports/showback?month=2026-01", as: partner)
            let openStatement = try #require(open["statements"]?.items?.first, "\(open)")
            #expect(openStatement["closed"] == .bool(false) && openStatement["totals"]?["amount"]?.number == 0.25, "\(openStatement)")
            #expect(openStatement["lines"]?.items?.first?["memory_amount"]?.number == 0.03 && openStatement["lines"]?.items?.first?["project_name"]?.string == "Billing")
            #expect(try await f.call(.put, "/api/v1/organizations/\(org)/rates", as: partner,
                                     json: #"{"currency":"EUR","running_only":true,\#(prices)}"#).0 == .ok)
            #expect(try await f.call(.get, "/api/v1/reports/showback?month=2026-01", as: partner).1["statements"]?.items?.first?["totals"]?["amount"]?.number == 0.14)
            #expect(try await f.call(.put, "/api/v1/organizations/\(org)/rates", as: other, json: #"{"currency":"EUR",\#(prices)}"#).0 == .notFound)
            #expect(try await f.call(.get, "/api/v1/reports/showback?month=2026-01", as: other).1["statements"]?.items?.isEmpty == true)

            // January ends; its statement is written at the rates of its end, and stays so.
            clock.set(Date(timeIntervalSince1970: 1_769_904_001))  // 2026-02-01T00:00:01Z
            let (_, closed) = try await f.call(.get, "/api/v1/reports/showback?month=2026-01", as: partner)
            let closedStatement = try #require(closed["statements"]?.items?.first, "\(closed)")
            #expect(closedStatement["closed"] == .bool(true) && closedStatement["totals"]?["amount"]?.number == 0.14
                    && closedStatement["rates"]?["running_only"] == .bool(true), "\(closedStatement)")
            #expect(try await f.call(.put, "/api/v1/organizations/\(org)/rates", as: partner, json: #"{"currency":"EUR","vcpu_hour":1,"memory_gib_hour":1,"disk_gib_hour":1}"#).0 == .ok)
            let (_, again) = try await f.call(.get, "/api/v1/reports/showback?month=2026-01", as: partner)
            #expect(again["statements"]?.items?.first == closedStatement, "\(again)")
            #expect(try await f.call(.get, "/api/v1/reports/showback?month=2026-13", as: partner).0 == .badRequest)
            #expect(try await f.call(.get, "/api/v1/reports/showback?month=2026-03", as: partner).0 == .badRequest)
            let audited = try await f.audited("usage.").map(\.action)
            #expect(audited == ["usage.default_rates_set", "usage.rates_set", "usage.statement_closed", "usage.rates_set"], "\(audited)")

            #expect(try await f.call(.delete, "/api/v1/projects/\(projectID)", as: partner).0 == .noContent)
            try await f.remove(cluster, as: partner)
        }
    }
}
