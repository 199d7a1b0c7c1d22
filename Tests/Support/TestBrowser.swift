import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// A scripted browser for sign-in tests: a cookie jar (name, path, expiry by `Max-Age=0`),
/// redirects followed by hand so every hop can be inspected, and HTML forms filled in.
///
/// It does what a browser does with the gateway's and the provider's answers and nothing
/// more, so a test can walk the whole authorization-code flow through the real services.
public final class TestBrowser: @unchecked Sendable {
    public struct Page: Sendable {
        public var url: String
        public var status: Int
        public var headers: HTTPHeaders
        public var body: String
    }

    struct StoredCookie { var value: String; var path: String }

    private let lock = NSLock()
    private var jars: [String: [String: StoredCookie]] = [:]
    public let client: HTTPClient

    public init() {
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        configuration.timeout = .init(connect: .seconds(5), read: .seconds(60))
        self.client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    /// Non-blocking: a deinit can run on a cooperative thread, which must never wait.
    deinit { self.client.shutdown { _ in } }

    /// The value of cookie `name` held for `host`.
    public func cookie(_ name: String, host: String) -> String? {
        self.lock.withLock { self.jars[host]?[name]?.value }
    }

    public func setCookie(_ name: String, _ value: String, host: String, path: String = "/") {
        self.lock.withLock { self.jars[host, default: [:]][name] = StoredCookie(value: value, path: path) }
    }

    /// One request, no redirect followed; cookies sent and stored.
    public func request(_ method: HTTPMethod, _ url: String, form: [(String, String)]? = nil, json: String? = nil, headers: HTTPHeaders = [:]) async throws -> Page {
        guard let parsed = URL(string: url), let host = parsed.host else { throw BrowserError("not an absolute URL: \(url)") }
        let jarKey = host + ":" + String(parsed.port ?? 80)
        var request = HTTPClientRequest(url: url)
        request.method = method
        request.headers = headers
        let path = parsed.path.isEmpty ? "/" : parsed.path
        let cookies = self.lock.withLock { (self.jars[jarKey] ?? [:]).filter { path.hasPrefix($0.value.path) } }
        if !cookies.isEmpty {
            request.headers.add(name: "Cookie", value: cookies.map { "\($0.key)=\($0.value.value)" }.sorted().joined(separator: "; "))
        }
        if let form {
            request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
            request.body = .bytes(ByteBuffer(string: Self.formEncode(form)))
        }
        if let json {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: json))
        }
        let response = try await self.client.execute(request, timeout: .seconds(60))
        let body = String(buffer: try await response.body.collect(upTo: 8 << 20))
        for header in response.headers["Set-Cookie"] { self.store(header, jarKey: jarKey) }
        return Page(url: url, status: Int(response.status.code), headers: response.headers, body: body)
    }

    /// Follows redirects (up to `limit`) from `url`, answering every page seen, the last one last.
    public func follow(_ method: HTTPMethod = .GET, _ url: String, form: [(String, String)]? = nil, limit: Int = 10) async throws -> [Page] {
        var pages = [try await self.request(method, url, form: form)]
        while let last = pages.last, (300..<400).contains(last.status), let location = last.headers.first(name: "Location") {
            guard pages.count <= limit else { throw BrowserError("more than \(limit) redirects from \(url)") }
            pages.append(try await self.request(.GET, Self.resolve(location, against: last.url)))
        }
        return pages
    }

    /// Submits the first form on `page`: its hidden inputs plus `fields`, to its action; with
    /// `followRedirects: false` only the form's own answer comes back.
    public func submitForm(on page: Page, fields: [String: String], followRedirects: Bool = true) async throws -> [Page] {
        guard let form = page.body.range(of: "<form", options: .caseInsensitive) else { throw BrowserError("no form on \(page.url)") }
        let formHTML = String(page.body[form.lowerBound...])
        let action = Self.attribute("action", in: String(formHTML.prefix { $0 != ">" })) ?? page.url
        var values: [(String, String)] = []
        for input in Self.tags("input", in: formHTML) {
            guard let name = Self.attribute("name", in: input) else { continue }
            if let given = fields[name] {
                values.append((name, given))
            } else if (Self.attribute("type", in: input) ?? "text").lowercased() == "hidden" {
                values.append((name, Self.attribute("value", in: input) ?? ""))
            }
        }
        for (name, value) in fields where !values.contains(where: { $0.0 == name }) { values.append((name, value)) }
        let target = Self.resolve(action, against: page.url)
        guard followRedirects else { return [try await self.request(.POST, target, form: values)] }
        return try await self.follow(.POST, target, form: values)
    }

    // MARK: parsing

    private func store(_ header: String, jarKey: String) {
        let parts = header.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
        guard let first = parts.first, let eq = first.firstIndex(of: "=") else { return }
        let name = String(first[..<eq]), value = String(first[first.index(after: eq)...])
        var path = "/"
        var expired = false
        for attribute in parts.dropFirst() {
            let lower = attribute.lowercased()
            if lower.hasPrefix("path=") { path = String(attribute.dropFirst(5)) }
            if lower == "max-age=0" { expired = true }
        }
        self.lock.withLock {
            if expired { self.jars[jarKey]?[name] = nil } else { self.jars[jarKey, default: [:]][name] = StoredCookie(value: value, path: path) }
        }
    }

    static func resolve(_ location: String, against base: String) -> String {
        URL(string: location, relativeTo: URL(string: base))?.absoluteString ?? location
    }

    static func tags(_ name: String, in html: String) -> [String] {
        var found: [String] = []
        var rest = html[...]
        while let start = rest.range(of: "<\(name)", options: .caseInsensitive) {
            let tail = rest[start.lowerBound...]
            guard let end = tail.firstIndex(of: ">") else { break }
            found.append(String(tail[...end]))
            rest = tail[tail.index(after: end)...]
        }
        return found
    }

    static func attribute(_ name: String, in tag: String) -> String? {
        for quote in ["\"", "'"] {
            if let range = tag.range(of: " \(name)=\(quote)", options: .caseInsensitive) {
                let rest = tag[range.upperBound...]
                guard let end = rest.firstIndex(of: Character(quote)) else { return nil }
                return Self.unescape(String(rest[..<end]))
            }
        }
        return nil
    }

    static func unescape(_ text: String) -> String {
        text.replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&#39;", with: "'")
            .replacingOccurrences(of: "&#x27;", with: "'").replacingOccurrences(of: "&lt;", with: "<")
            .replacingOccurrences(of: "&gt;", with: ">").replacingOccurrences(of: "&amp;", with: "&")
    }

    static func formEncode(_ pairs: [(String, String)]) -> String {
        let allowed = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._*")
        return pairs.map { pair in
            [pair.0, pair.1].map { $0.addingPercentEncoding(withAllowedCharacters: allowed)!.replacingOccurrences(of: "%20", with: "+") }.joined(separator: "=")
        }.joined(separator: "&")
    }
}

public struct BrowserError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
