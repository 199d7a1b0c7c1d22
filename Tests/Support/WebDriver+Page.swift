import Foundation

/// What the dashboard tests do on a page beyond the sign-in: find without waiting, check what
/// is displayed, clear fields, answer `window.confirm`, run a script, and wait for a condition.
extension WebDriver {
    /// Every element matching `css` right now (no waiting; none is an empty list).
    public func elements(_ css: String) async throws -> [String] {
        let answer = try await Self.send(self.http, .POST, self.base + "/elements", ["using": "css selector", "value": css])
        let values = answer["value"] as? [[String: Any]] ?? []
        return values.compactMap { $0[Self.elementKey] as? String }
    }

    /// True when some element matching `css` is on the page and shown (not `hidden`, not inside
    /// something hidden): what a person could see and use.
    public func isDisplayed(_ css: String) async throws -> Bool {
        for id in try await self.elements(css) {
            let answer = try await Self.send(self.http, .GET, self.base + "/element/\(id)/displayed", nil, allowError: true)
            if answer["value"] as? Bool == true { return true }
        }
        return false
    }

    /// Empties an input or textarea.
    public func clear(_ css: String) async throws {
        try await self.withElement(css) { id in
            _ = try await Self.send(self.http, .POST, self.base + "/element/\(id)/clear", [String: String]())
        }
    }

    /// Waits for a `window.confirm` (or alert) to open, accepts it, and answers its text.
    @discardableResult
    public func acceptDialog(timeout: Duration = .seconds(10)) async throws -> String {
        let text = try await self.waitFor("a confirmation dialog", timeout: timeout) { () -> String? in
            let answer = try await Self.send(self.http, .GET, self.base + "/alert/text", nil, allowError: true)
            return answer["value"] as? String
        }
        _ = try await Self.send(self.http, .POST, self.base + "/alert/accept", [String: String]())
        return text
    }

    /// Runs `script` (a function body; `arguments` holds `args`) in the page and answers what it
    /// returns, as JSON. A returned promise is awaited, so a script can `return fetch(…)`.
    public func execute(_ script: String, _ args: [Any] = []) async throws -> JSONValue {
        let answer = try await Self.send(self.http, .POST, self.base + "/execute/sync", ["script": script, "args": args] as [String: Any])
        guard let value = answer["value"], !(value is NSNull) else { return .null }
        let data = try JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed])
        return try JSONValue.parse(String(decoding: data, as: UTF8.self))
    }

    /// Polls `probe` until it answers a value, for up to `timeout`. A probe that throws (an
    /// element replaced while it was read, say) counts as "not yet"; when time runs out the error
    /// names `what`, the page, and the last thing the probe saw or threw.
    public func waitFor<T>(_ what: String, timeout: Duration = .seconds(20), _ probe: () async throws -> T?) async throws -> T {
        let deadline = ContinuousClock.now + timeout
        var last = "nothing"
        while true {
            do {
                if let value = try await probe() { return value }
                last = "no match yet"
            } catch {
                last = "\(error)"
            }
            guard ContinuousClock.now < deadline else {
                let url = (try? await self.currentURL()) ?? "?"
                throw BrowserError("\(what) did not happen within \(timeout) at \(url) (last: \(last))")
            }
            try await Task.sleep(for: .milliseconds(200))
        }
    }

    /// Waits until `condition` holds (see `waitFor`).
    public func waitUntil(_ what: String, timeout: Duration = .seconds(20), _ condition: () async throws -> Bool) async throws {
        _ = try await self.waitFor(what, timeout: timeout) { try await condition() ? true : nil }
    }
}
