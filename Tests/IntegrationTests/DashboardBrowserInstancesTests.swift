import Foundation
import OrcastraTestSupport
import Testing

/// The instances page (and the instance page it links to) in headless Chromium against the
/// real services and both LXD test-bed daemons: the list across clusters, every filter
/// control, creating a busybox container with its progress, and stopping and deleting it.
@Suite("Dashboard in a browser: instances page", .serialized)
struct DashboardBrowserInstancesTests {
    static let rows = "[data-testid=instance-row]"

    static func row(_ name: String) -> String { "\(Self.rows)[data-name=\"\(name)\"]" }

    @Test("an admin lists instances of two clusters, filters by name, cluster, status and type, creates a busybox container, stops and deletes it")
    func listFilterCreateDelete() async throws {
        try await Dashboard.run(as: "admin") { d in
            let b = d.browser
            let stem = "ui-\(UUID().uuidString.prefix(8).lowercased())"
            // One stopped container on a, one running on b, made on the daemons themselves: every
            // filter below changes which of the two the page lists. The daemons are shared, so
            // the name filter on `stem` keeps other tests' instances out of the comparisons.
            let stopped = "\(stem)-stopped", running = "\(stem)-running", created = "\(stem)-new"
            try await d.removeClustersAtEnd(["a", "b"])
            d.removeInstanceAtEnd("a", stopped)
            d.removeInstanceAtEnd("b", running)
            d.removeInstanceAtEnd("a", created)
            try await LXDTestBed.lxc("a", ["init", "busybox", stopped])
            try await LXDTestBed.lxc("b", ["launch", "busybox", running])
            let clusterA = "lxd-a-\(stem)", clusterB = "lxd-b-\(stem)"
            let idA = try await d.registerCluster("a", name: clusterA)
            let idB = try await d.registerCluster("b", name: clusterB)

            /// The names listed among ours, once the list shows exactly `expected` and the page's
            /// query string is `query` (the filters applied).
            func expectListed(_ expected: Set<String>, query: String, _ step: String) async throws {
                try await b.waitUntil("\(step): \(expected.sorted()) listed for ?\(query)") {
                    let ours = Set(try await d.names(Self.rows).filter { $0.hasPrefix(stem) })
                    let current = try await d.query()
                    return ours == expected && current == query
                }
            }

            try await d.open("/instances")
            try await b.waitUntil("both containers listed") { Set(try await d.names(Self.rows)).isSuperset(of: [stopped, running]) }
            #expect(try await d.text("td:nth-child(2)", in: Self.row(stopped)) == clusterA)
            #expect(try await d.text("td:nth-child(3)", in: Self.row(stopped)) == "default")
            #expect(try await d.text("td:nth-child(4)", in: Self.row(stopped)) == "container")
            #expect(try await d.text("[data-testid=instance-status]", in: Self.row(stopped)) == "Stopped")
            #expect(try await d.text("td:nth-child(2)", in: Self.row(running)) == clusterB)
            #expect(try await d.text("[data-testid=instance-status]", in: Self.row(running)) == "Running")
            #expect(try await d.names("[data-testid=cluster-reach][data-status=ok]").sorted() == [clusterA, clusterB])

            // Name contains (applied with the Filter button), then each select on its own change.
            try await b.type("[data-testid=filter-name]", stem)
            try await b.click("[data-testid=filter-apply]")
            try await expectListed([stopped, running], query: "name=\(stem)", "name filter")
            try await b.click("[data-testid=filter-cluster] option[value=\"\(idA)\"]")
            try await expectListed([stopped], query: "cluster=\(idA)&name=\(stem)", "cluster a")
            #expect(try await d.names("[data-testid=cluster-reach]") == [clusterA], "a list filtered to one cluster reports only that one")
            try await b.click("[data-testid=filter-cluster] option[value=\"\(idB)\"]")
            try await expectListed([running], query: "cluster=\(idB)&name=\(stem)", "cluster b")
            try await b.click("[data-testid=filter-cluster] option[value=\"\"]")
            try await expectListed([stopped, running], query: "name=\(stem)", "any cluster")
            try await b.click("[data-testid=filter-status] option[value=Running]")
            try await expectListed([running], query: "status=Running&name=\(stem)", "running")
            try await b.click("[data-testid=filter-status] option[value=Stopped]")
            try await expectListed([stopped], query: "status=Stopped&name=\(stem)", "stopped")
            try await b.click("[data-testid=filter-status] option[value=\"\"]")
            try await expectListed([stopped, running], query: "name=\(stem)", "any status")
            try await b.click("[data-testid=filter-type] option[value=virtual-machine]")
            try await expectListed([], query: "type=virtual-machine&name=\(stem)", "virtual machines")
            #expect(try await d.text("#instances td") == "No instances match.")
            try await b.click("[data-testid=filter-type] option[value=container]")
            try await expectListed([stopped, running], query: "type=container&name=\(stem)", "containers")
            try await b.click("[data-testid=filter-clear]")
            try await b.waitUntil("the filters cleared") {
                let (query, name) = (try await d.query(), try await d.value("[data-testid=filter-name]"))
                return query.isEmpty && name == ""
            }
            try await b.waitUntil("the whole list back") { Set(try await d.names(Self.rows)).isSuperset(of: [stopped, running]) }

            // Create on cluster a from the busybox alias; the operation is followed to success.
            #expect(try await b.isDisplayed("[data-testid=create-panel]"))
            #expect(try await d.value("[data-testid=create-image]") == "busybox")
            try await b.click("[data-testid=create-cluster] option[value=\"\(idA)\"]")
            try await b.type("[data-testid=create-name]", created)
            try await b.click("[data-testid=create-submit]")
            try await b.waitUntil("the create operation shown") { try await b.isDisplayed("[data-testid=create-progress] [data-testid=operation-progress]") }
            let outcome = try await b.waitFor("the create operation to end", timeout: .seconds(120)) { () -> String? in
                let status = try await d.attribute("[data-testid=create-progress]", "data-status")
                return status == "success" || status == "failure" ? status : nil
            }
            let label = try await d.text("[data-testid=create-progress] [data-testid=operation-status]")
            let createError = try await d.text("[data-testid=create-error]") ?? ""
            #expect(outcome == "success", "create ended with \(label ?? "no label"); \(createError)")
            #expect(label == "success")
            #expect(try await d.browser.execute("return document.querySelector('[data-testid=create-progress] progress').value;").number == 100)
            #expect(try await !b.isDisplayed("[data-testid=create-error]"))
            #expect(try await d.value("[data-testid=create-name]") == "", "the name is cleared for the next one")
            try await b.waitUntil("\(created) listed as Running") { try await d.text("[data-testid=instance-status]", in: Self.row(created)) == "Running" }
            #expect(try await d.text("td:nth-child(2)", in: Self.row(created)) == clusterA)
            #expect(try await LXDTestBed.instances("a").contains(created), "the container exists on daemon a")

            // Its own page: stop it, then delete it (confirmed), back to the list without it.
            try await b.click("\(Self.row(created)) a")
            try await b.waitUntil("the instance page") { try await d.text("[data-testid=instance-name]") == created }
            try await b.waitUntil("\(created) Running on its page") { try await d.text("[data-testid=instance-status]") == "Running" }
            #expect(try await d.text("[data-testid=fact-cluster]") == clusterA)
            try await b.click("[data-testid=action-stop]")
            try await b.waitUntil("the stop to succeed", timeout: .seconds(60)) { try await d.attribute("[data-testid=action-progress]", "data-status") == "success" }
            try await b.waitUntil("\(created) Stopped on its page") { try await d.text("[data-testid=instance-status]") == "Stopped" }
            try await b.click("[data-testid=action-delete]")
            #expect(try await b.acceptDialog().contains(created))
            try await b.waitUntil("back on the list", timeout: .seconds(60)) { URL(string: try await b.currentURL())?.path == "/instances" }
            try await b.waitUntil("the list without \(created)") {
                let names = Set(try await d.names(Self.rows))
                return names.isSuperset(of: [stopped, running]) && !names.contains(created)
            }
            #expect(try await !LXDTestBed.instances("a").contains(created), "the container is gone from daemon a")
        }
    }
}
