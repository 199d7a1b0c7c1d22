import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// Headless Chromium driven through chromedriver's W3C WebDriver endpoints, for the end-to-end
/// sign-in and dashboard tests (Debian's `chromium` and `chromium-driver`).
///
/// Only what the tests need: open a URL, find an element by CSS, type, click, read text and
/// the current URL here; what the dashboard tests add is in `WebDriver+Page.swift`.
/// Chromedriver runs as a child on a free port and is killed on `quit`.
public final class WebDriver: @unchecked Sendable {
    let base: String
    let session: String
    let pid: pid_t
    let http: HTTPClient

    /// W3C's key for an element reference in JSON.
    static let elementKey = "element-6066-11e4-a52e-4f735466cecf"

    public static func start() async throws -> WebDriver {
        let driver = try Command.which("chromedriver")
        let chromium = try Command.which("chromium")
        let port = try Command.freePort()
        let pid = try Command.spawn(driver, ["--port=\(port)"])
        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        let base = "http://127.0.0.1:\(port)"
        do {
            try await Command.waitUntil(.seconds(30), "chromedriver listening on \(port)") { Command.isListening(port) }
            let capabilities: [String: Any] = ["capabilities": ["alwaysMatch": [
                "browserName": "chrome",
                "goog:chromeOptions": ["binary": chromium, "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,900"]],
            ]]]
            let answer = try await Self.send(http, .POST, base + "/session", capabilities)
            guard let value = answer["value"] as? [String: Any], let session = value["sessionId"] as? String else {
                throw BrowserError("chromedriver did not start a session: \(answer)")
            }
            return WebDriver(base: base + "/session/" + session, session: session, pid: pid, http: http)
        } catch {
            kill(pid, SIGKILL)
            Command.wait(pid)
            try? await http.shutdown()
            throw error
        }
    }

    init(base: String, session: String, pid: pid_t, http: HTTPClient) {
        self.base = base
        self.session = session
        self.pid = pid
        self.http = http
    }

    public func quit() async {
        _ = try? await Self.send(self.http, .DELETE, self.base, nil)
        kill(self.pid, SIGTERM)
        Command.wait(self.pid)
        try? await self.http.shutdown()
    }

    public func open(_ url: String) async throws {
        _ = try await Self.send(self.http, .POST, self.base + "/url", ["url": url])
    }

    public func currentURL() async throws -> String {
        (try await Self.send(self.http, .GET, self.base + "/url", nil)["value"] as? String) ?? ""
    }

    /// The element matching `css`, waiting up to `timeout` for it to appear.
    public func element(_ css: String, timeout: Duration = .seconds(20)) async throws -> String {
        let deadline = ContinuousClock.now + timeout
        while true {
            let answer = try await Self.send(self.http, .POST, self.base + "/element", ["using": "css selector", "value": css], allowError: true)
            if let value = answer["value"] as? [String: Any], let id = value[Self.elementKey] as? String { return id }
            guard ContinuousClock.now < deadline else { throw BrowserError("no element \(css) at \(try await self.currentURL())") }
            try await Task.sleep(for: .milliseconds(200))
        }
    }

    public func type(_ css: String, _ text: String) async throws {
        try await self.withElement(css) { id in
            _ = try await Self.send(self.http, .POST, self.base + "/element/\(id)/value", ["text": text])
        }
    }

    public func click(_ css: String) async throws {
        try await self.withElement(css) { id in
            _ = try await Self.send(self.http, .POST, self.base + "/element/\(id)/click", [String: String]())
        }
    }

    /// Finds `css` and acts on it, finding it again when the page replaced it in between (a
    /// script re-rendering a list or a select's options): the element meant is the one that
    /// matches now.
    func withElement<T>(_ css: String, timeout: Duration = .seconds(20), _ action: (String) async throws -> T) async throws -> T {
        let deadline = ContinuousClock.now + timeout
        while true {
            let id = try await self.element(css, timeout: timeout)
            do {
                return try await action(id)
            } catch let error as BrowserError where error.description.contains("stale element reference") && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(100))
            }
        }
    }

    public func text(_ css: String) async throws -> String {
        try await self.withElement(css) { id in
            (try await Self.send(self.http, .GET, self.base + "/element/\(id)/text", nil)["value"] as? String) ?? ""
        }
    }

    static func send(_ http: HTTPClient, _ method: HTTPMethod, _ url: String, _ body: Any?, allowError: Bool = false) async throws -> [String: Any] {
        var request = HTTPClientRequest(url: url)
        request.method = method
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: body)))
        }
        let response = try await http.execute(request, timeout: .seconds(60))
        let data = Data(buffer: try await response.body.collect(upTo: 16 << 20))
        let json = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
        guard response.status == .ok || allowError else {
            throw BrowserError("WebDriver \(method) \(url) answered \(response.status.code): \(String(decoding: data.prefix(500), as: UTF8.self))")
        }
        return json
    }
}
