import Foundation
import OrcastraTestSupport
import Testing

/// The real devidp, API and gateway processes with headless Chromium signed in to the
/// dashboard: what the page tests drive. Everything a test creates on the LXD test bed is
/// undone by the cleanups it registers, which run however the test ends.
final class Dashboard: @unchecked Sendable {
    let product: ProductProcesses
    let browser: WebDriver
    private var cleanups: [(String, () async throws -> Void)] = []

    private init(product: ProductProcesses, browser: WebDriver) {
        self.product = product
        self.browser = browser
    }

    /// Starts the product and the browser, signs in as `username`, runs `body`, then the
    /// cleanups (newest first), then stops everything. A cleanup that fails is an issue of its
    /// own, so a leftover container or trust entry never goes unnoticed.
    static func run(as username: String, _ body: (Dashboard) async throws -> Void) async throws {
        // Every page load and each second of a followed operation is an API call from one
        // address; the default limit (100 a minute, counted in the shared Redis) would cut a long
        // test short. Rate limiting has tests of its own.
        let product = try await ProductProcesses(extraEnvironment: ["RATE_LIMIT_ENABLED": "false"])
        let browser: WebDriver
        do {
            browser = try await WebDriver.start()
        } catch {
            _ = product.stop()
            throw error
        }
        let dashboard = Dashboard(product: product, browser: browser)
        var failure: (any Error)?
        do {
            try await dashboard.signIn(as: username)
            try await body(dashboard)
        } catch {
            failure = error
        }
        for (what, cleanup) in dashboard.cleanups.reversed() {
            do { try await cleanup() } catch { Issue.record("cleanup \(what) failed: \(error)") }
        }
        await browser.quit()
        let statuses = product.stop()
        if let failure { throw failure }
        #expect(statuses == [0, 0, 0], "the three services stop cleanly")
    }

    /// Registers `cleanup` to run after the test body, whatever its outcome.
    func atEnd(_ what: String, _ cleanup: @escaping () async throws -> Void) {
        self.cleanups.append((what, cleanup))
    }

    /// Opens `path` on the gateway.
    func open(_ path: String) async throws {
        try await self.browser.open(self.product.gatewayURL + path)
    }

    /// Signs in through the provider's form and waits for the home page to name the role.
    func signIn(as username: String) async throws {
        guard let user = ProductProcesses.users.first(where: { $0.username == username }) else { throw BrowserError("no seeded user \(username)") }
        try await self.open("/")
        try await self.browser.type("input[name=username]", user.username)
        try await self.browser.type("input[name=password]", user.password)
        try await self.browser.click("form [type=submit]")
        let role = try await self.browser.text("[data-testid=user-role]")
        guard role == user.role else { throw BrowserError("signed in as \(username) but the page says the role is \(role)") }
    }

    /// Signs out and waits for the sign-in page.
    func signOut() async throws {
        try await self.browser.click("[data-testid=sign-out]")
        _ = try await self.browser.element("[data-testid=sign-in]")
    }

    /// Calls the API through the gateway from inside the page, with the page's own session
    /// cookie and origin, as the dashboard's scripts do; answers the status and the parsed body.
    @discardableResult
    func api(_ method: String, _ path: String, json: String? = nil) async throws -> (status: Int, body: JSONValue) {
        let answer = try await self.browser.execute(
            """
            const [method, path, body] = arguments;
            const options = { method: method, headers: { Accept: "application/json" } };
            if (body !== null) { options.headers["Content-Type"] = "application/json"; options.body = body; }
            return fetch(path, options).then((r) => r.text().then((text) => ({ status: r.status, body: text })));
            """, [method, path, json ?? NSNull()])
        let status = Int(answer["status"]?.number ?? 0)
        let text = answer["body"]?.string ?? ""
        return (status, text.isEmpty ? .null : try JSONValue.parse(text))
    }

    /// Registers test-bed daemon `daemon` as cluster `name` through the API with a fresh trust
    /// token; answers the cluster id. Call `removeClustersAtEnd` first.
    func registerCluster(_ daemon: String, name: String) async throws -> String {
        let token = try await LXDTestBed.token(daemon)
        let (status, body) = try await self.api("POST", "/api/v1/clusters", json: #"{"name":"\#(name)","trust_token":"\#(token)"}"#)
        guard status == 201, let id = body["id"]?.string else { throw BrowserError("registering \(daemon) as \(name) answered \(status): \(body)") }
        return id
    }

    /// A cleanup for the clusters this test registers from `daemons`: each test has a database
    /// of its own, so every cluster the API lists is the test's; they are removed through the
    /// API, then any client certificate a daemon trusts now and did not before is taken out of
    /// its trust store directly (what a failed removal would leave behind).
    func removeClustersAtEnd(_ daemons: [String]) async throws {
        var trusted: [String: Set<String>] = [:]
        for daemon in daemons { trusted[daemon] = try await LXDTestBed.trusted(daemon) }
        let before = trusted
        self.atEnd("clusters on LXD \(daemons.joined(separator: ", "))") {
            var problems: [String] = []
            do {
                if !(try await self.browser.currentURL()).hasPrefix(self.product.gatewayURL) { try await self.open("/") }
                let (_, page) = try await self.api("GET", "/api/v1/clusters")
                for id in (page["items"]?.items ?? []).compactMap({ $0["id"]?.string }) {
                    let (status, body) = try await self.api("DELETE", "/api/v1/clusters/\(id)")
                    if status != 204 { problems.append("removing cluster \(id) answered \(status): \(body)") }
                }
            } catch {
                problems.append("removing clusters through the API: \(error)")
            }
            for daemon in daemons {
                for fingerprint in try await LXDTestBed.trusted(daemon).subtracting(before[daemon] ?? []) {
                    try await LXDTestBed.untrust(daemon, fingerprint)
                }
            }
            if !problems.isEmpty { throw BrowserError(problems.joined(separator: "; ")) }
        }
    }

    /// A cleanup that removes instance `name` from daemon `daemon` if the test left it there.
    func removeInstanceAtEnd(_ daemon: String, _ name: String) {
        self.atEnd("instance \(name) on LXD \(daemon)") { try await LXDTestBed.removeInstance(daemon, name) }
    }

    // MARK: reading the page

    /// `data-name` of every element matching `css`, in page order.
    func names(_ css: String) async throws -> [String] {
        try await self.browser.execute(
            "return Array.from(document.querySelectorAll(arguments[0])).map((e) => e.dataset.name);", [css]
        ).items?.compactMap(\.string) ?? []
    }

    /// The text of the first element matching `css` inside the first element matching `scope`,
    /// or nil when either is missing; read in one step, so a re-rendered table cannot go stale
    /// between finding and reading.
    func text(_ css: String, in scope: String = ":root") async throws -> String? {
        try await self.browser.execute(
            """
            const scope = document.querySelector(arguments[0]);
            const element = scope && (scope.matches(arguments[1]) ? scope : scope.querySelector(arguments[1]));
            return element ? element.textContent.trim() : null;
            """, [scope, css]
        ).string
    }

    /// An attribute of the first element matching `css`, or nil.
    func attribute(_ css: String, _ name: String) async throws -> String? {
        try await self.browser.execute(
            "const e = document.querySelector(arguments[0]); return e ? e.getAttribute(arguments[1]) : null;", [css, name]
        ).string
    }

    /// The current value of the form control matching `css` (what was typed or chosen), or nil.
    func value(_ css: String) async throws -> String? {
        try await self.browser.execute("const e = document.querySelector(arguments[0]); return e ? e.value : null;", [css]).string
    }

    /// The page's current query string, without the `?`.
    func query() async throws -> String {
        URLComponents(string: try await self.browser.currentURL())?.percentEncodedQuery ?? ""
    }
}
