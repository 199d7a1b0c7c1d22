import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import OrcastraRuntime
import OrcastraTestSupport
import Testing

@testable import OrcastraGateway

@Suite("Gateway pages and assets")
struct PagesTests {
    @Test("the home page is a styled HTML page from the template, with the user's name, email and role")
    func home() async throws {
        try await makeGateway(apiURL: "http://127.0.0.1:9").test(.router) { client in
            let session = try await TestSessions.signIn(role: .partner)
            try await client.execute(uri: "/", method: .get, headers: [.cookie: session.cookie]) { response async throws in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "text/html; charset=utf-8")
                #expect(response.headers[HTTPField.Name("Content-Security-Policy")!]?.contains("default-src 'self'") == true)
                let html = String(buffer: response.body)
                #expect(html.hasPrefix("<!doctype html>"))
                #expect(html.contains("<link rel=\"stylesheet\" href=\"/static/css/orcastra.css\">"))
                #expect(html.contains("Every cluster, one console."))
                #expect(html.contains("Orcastra test"))
                #expect(html.contains(#"data-testid="user-role">Partner<"#))
                #expect(html.contains(#"data-testid="user-email">partner@example.test<"#))
                #expect(html.contains("Test Partner"))
                #expect(!html.contains("{{"))
            }
        }
    }

    @Test("static assets carry caching headers and answer 304 to a matching ETag")
    func assets() async throws {
        try await makeGateway(apiURL: "http://127.0.0.1:9").test(.router) { client in
            let etag = try await client.execute(uri: "/static/css/orcastra.css", method: .get) { response async throws in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType]?.hasPrefix("text/css") == true)
                #expect(response.headers[.cacheControl] == "public, max-age=86400")
                #expect(String(buffer: response.body).contains(":root"))
                return try #require(response.headers[.eTag])
            }
            try await client.execute(uri: "/static/css/orcastra.css", method: .get, headers: [.ifNoneMatch: etag]) { response async throws in
                #expect(response.status == .notModified)
            }
            try await client.execute(uri: "/static/js/status.js", method: .get) { response async throws in
                #expect(response.status == .ok)
                #expect(response.headers[.cacheControl] == "public, max-age=86400")
            }
            try await client.execute(uri: "/static/../Package.swift", method: .get) { response async throws in
                #expect(response.status == .badRequest || response.status == .notFound)
            }
        }
    }

    @Test("gateway health names the API and Redis")
    func health() async throws {
        try await withUpstream { api in
            try await makeGateway(apiURL: api).test(.router) { client in
                try await client.execute(uri: "/health", method: .get) { response async throws in
                    let report = try JSONValue.parse(String(buffer: response.body))
                    // The stand-in API has no /health route but answers, which is what "api" checks.
                    #expect(response.status == .ok)
                    #expect(report["checks"]?.keys == ["api", "redis"])
                }
            }
        }
    }
}
