import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import HummingbirdTesting
import Logging
import OrcastraModels
@testable import OrcastraRuntime
import OrcastraTestSupport
import PostgresNIO
import Testing

@testable import OrcastraAPI

/// Every list endpoint answers pages of at most 500 (`?limit=`, default 50) with a cursor to
/// the next; a limit above the maximum is a 400 naming it.
@Suite("Paged lists")
struct PagingTests {
    static func query(_ text: String) -> Parameters {
        URI("/?" + text).queryParameters
    }

    @Test("limit and cursor are checked, each bad value a 400 naming its parameter", arguments: [
        ("limit=501", "limit"), ("limit=0", "limit"), ("limit=abc", "limit"), ("limit=-1", "limit"), ("cursor=%%%", "cursor"),
        ("cursor=eHl6", "cursor"),
    ])
    func badParameters(query: String, named: String) {
        do {
            _ = try PageRequest(query: Self.query(query))
            Issue.record("accepted \(query)")
        } catch {
            #expect(error.status == .badRequest)
            #expect(error.message.contains("parameter \(named)"), "\(error.message)")
        }
    }

    @Test("pages follow the key order, and a cursor still works after items before or at it went away")
    func slicing() throws {
        let items = ["e", "b", "d", "a", "c"]
        let first = PageRequest(limit: 2).page(items) { $0 }
        #expect(first.items == ["a", "b"])
        let cursor = try #require(first.nextCursor)
        let next = try PageRequest(query: Self.query("limit=2&cursor=\(cursor)"))
        #expect(next.page(items) { $0 }.items == ["c", "d"])
        #expect(next.page(["a", "c", "d", "e"]) { $0 }.items == ["c", "d"], "b was removed between the pages")
        let last = next.page(items) { $0 }
        #expect(try PageRequest(query: Self.query("limit=2&cursor=\(try #require(last.nextCursor))")).page(items) { $0 }.items == ["e"])
        #expect(PageRequest(limit: 5).page(items) { $0 }.nextCursor == nil)
        #expect(PageRequest.newestFirst(Date(timeIntervalSince1970: 2), "x") < PageRequest.newestFirst(Date(timeIntervalSince1970: 1), "x"))
    }

    /// The OpenAPI document states the cursor's pattern; a fuzzer sends any string matching it,
    /// and each must be taken (a 400 would be a schema-valid request refused).
    @Test("every string of the documented cursor pattern is taken, and nothing outside it")
    func patternCursors() throws {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        var generator = SystemRandomNumberGenerator()
        for length in 0..<200 {
            let tail = String((0..<length).map { _ in alphabet.randomElement(using: &generator)! })
            let cursor = "az" + String("opqr".randomElement(using: &generator)!) + tail
            #expect(PageRequest.decode(cursor) != nil, "\(cursor)")
        }
        for cursor in ["", "a", "az", "azs", "eHl6", "azo=", "azo+", "azo/", String(repeating: "azo", count: 700)] {
            #expect(PageRequest.decode(cursor) == nil, "\(cursor)")
        }
        #expect(PageRequest.decode(PageRequest.encode("é\u{0}x")) == "é\u{0}x")
    }

    static let lists = [
        "/api/v1/clusters", "/api/v1/clusters/\(UUID())/profiles", "/api/v1/clusters/\(UUID())/instances",
        "/api/v1/clusters/\(UUID())/instances/web/snapshots", "/api/v1/instances", "/api/v1/sessions", "/api/v1/api-keys",
        "/api/v1/me/keys", "/api/v1/pki/certs",
    ]

    @Test("every list endpoint refuses a limit above 500 with a 400 naming it", arguments: Self.lists)
    func limitAboveMaximum(path: String) async throws {
        try await AuthHarness.run { h, client in
            let admin = try h.issuer.token(h.issuer.claims(subject: "admin-1", groups: ["role_admin"]))
            let (status, data) = try await client.call(.get, path + "?limit=501", bearer: admin)
            #expect(status == .badRequest, "\(path): \(String(decoding: data, as: UTF8.self))")
            #expect(String(decoding: data, as: UTF8.self).contains("parameter limit"))
        }
    }

    @Test("clusters: 50 by default with a cursor to the rest, ?limit= pages, every cluster seen once")
    func clusters() async throws {
        try await ClusterFixture.run { f in
            let admin = try f.admin
            try await f.h.sql { client in
                for n in 0..<51 {
                    let name = String(format: "c%02d", n)
                    try await client.query(
                        """
                        INSERT INTO clusters (name, endpoint, server_fingerprint, client_fingerprint)
                        VALUES (\(name), 'https://203.0.113.1:8443', \(String(repeating: "ab", count: 32)), 'x')
                        """, logger: Logger(label: "test"))
                }
            }
            let (_, first) = try await f.call(.get, "/api/v1/clusters", as: admin)
            #expect(first["items"]?.items?.count == 50)
            let cursor = try #require(first["next_cursor"]?.string)
            let (_, rest) = try await f.call(.get, "/api/v1/clusters?cursor=\(cursor)", as: admin)
            #expect(rest["items"]?.items?.map { $0["name"]?.string } == ["c50"])
            #expect(rest["next_cursor"] == .null)

            var seen: [String] = []
            var next: String? = nil
            repeat {
                let (_, page) = try await f.call(.get, "/api/v1/clusters?limit=7" + (next.map { "&cursor=\($0)" } ?? ""), as: admin)
                #expect((page["items"]?.items?.count ?? 0) <= 7)
                seen += (page["items"]?.items ?? []).compactMap { $0["name"]?.string }
                next = page["next_cursor"]?.string
            } while next != nil
            #expect(seen == (0..<51).map { String(format: "c%02d", $0) })
        }
    }

    @Test("API keys page by ?limit= and ?cursor=, newest first; the aggregated instance list keeps its shape with next_cursor")
    func apiKeysAndInstances() async throws {
        try await AuthHarness.run { h, client in
            let alice = try h.issuer.token(h.issuer.claims(subject: "alice", groups: ["role_partner"]))
            for n in 1...3 {
                #expect(try await client.call(.post, "/api/v1/api-keys", bearer: alice, json: #"{"name":"key-\#(n)"}"#).0 == .created)
            }
            let first = try JSONCoding.decoder.decode(ListPage<APIKeyInfo>.self, from: try await client.call(.get, "/api/v1/api-keys?limit=2", bearer: alice).1)
            #expect(first.items.map(\.name) == ["key-3", "key-2"])
            let cursor = try #require(first.nextCursor)
            let second = try JSONCoding.decoder.decode(ListPage<APIKeyInfo>.self, from: try await client.call(.get, "/api/v1/api-keys?limit=2&cursor=\(cursor)", bearer: alice).1)
            #expect(second.items.map(\.name) == ["key-1"])
            #expect(second.nextCursor == nil)

            let (status, data) = try await client.call(.get, "/api/v1/instances?limit=10", bearer: alice)
            #expect(status == .ok)
            let list = try JSONValue.parse(String(decoding: data, as: UTF8.self))
            #expect(list["items"]?.items?.isEmpty == true)
            #expect(list["clusters"]?.items?.isEmpty == true)
            #expect(list["next_cursor"] == .null)
        }
    }
}
