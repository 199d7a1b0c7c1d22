import Foundation
import HTTPTypes
import HummingbirdTesting
import OrcastraTestSupport
import Testing

@testable import OrcastraDevIdP

@Suite("Authorization endpoint")
struct AuthorizeTests {
    @Test("the sign-in form has username and password inputs, the request in hidden fields, and strict headers")
    func form() async throws {
        try await withDevIdP { client in
            let response = try await client.get("/application/o/authorize/?" + AuthorizeParameters().query)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "text/html; charset=utf-8")
            #expect(response.headers[.cacheControl] == "no-store")
            #expect(response.headers[HTTPField.Name("X-Frame-Options")!] == "DENY")
            let csp = try #require(response.headers[HTTPField.Name("Content-Security-Policy")!])
            #expect(csp.contains("default-src 'none'"))
            #expect(csp.contains("frame-ancestors 'none'"))
            #expect(csp.contains("form-action 'self' http://localhost:4321"))
            let html = response.text
            #expect(html.hasPrefix("<!doctype html>"))
            #expect(html.contains("Orcastra development identity provider"))
            #expect(html.contains("<form method=\"post\" action=\"/application/o/authorize/\">"))
            #expect(html.contains("name=\"username\""))
            #expect(html.contains("type=\"password\" id=\"password\" name=\"password\""))
            #expect(html.contains("<button type=\"submit\">"))
            #expect(html.contains("<input type=\"hidden\" name=\"code_challenge\" value=\"\(Fixture.challenge)\">"))
            #expect(html.contains("<input type=\"hidden\" name=\"state\" value=\"state-123\">"))
            #expect(response.headers[.location] == nil)
        }
    }

    @Test("request values are HTML-escaped on the page")
    func escaping() async throws {
        try await withDevIdP { client in
            var parameters = AuthorizeParameters()
            parameters.state = "\"><script>alert('x')</script>"
            let html = try await client.get("/application/o/authorize/?" + parameters.query).text
            #expect(!html.contains("<script>"))
            #expect(html.contains("value=\"&quot;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;\""))
        }
    }

    @Test("a redirect URI that is not registered exactly gets a 400 page, never a redirect", arguments: [
        "http://evil.example/callback",
        Fixture.redirectURI + "/",
        Fixture.redirectURI + "?x=1",
        "HTTP://localhost:4321/api/auth/callback/authentik",
    ])
    func unknownRedirect(uri: String) async throws {
        try await withDevIdP { client in
            var parameters = AuthorizeParameters()
            parameters.redirectURI = uri
            for response in [
                try await client.get("/application/o/authorize/?" + parameters.query),
                try await client.signIn("alice", "alice-pw", parameters),
            ] {
                #expect(response.status == .badRequest)
                #expect(response.headers[.location] == nil)
                #expect(response.headers[.contentType] == "text/html; charset=utf-8")
                #expect(response.text.contains("is not registered"))
            }
        }
    }

    @Test("an unknown client gets a 400 page")
    func unknownClient() async throws {
        try await withDevIdP { client in
            var parameters = AuthorizeParameters()
            parameters.clientID = "someone-else"
            let response = try await client.get("/application/o/authorize/?" + parameters.query)
            #expect(response.status == .badRequest)
            #expect(response.headers[.location] == nil)
            #expect(response.text.contains("someone-else"))
        }
    }

    @Test("a wrong password shows the form again with an error and no code")
    func wrongPassword() async throws {
        try await withDevIdP { client in
            for (user, password) in [("alice", "wrong"), ("nobody", "alice-pw"), ("alice", "")] {
                let response = try await client.signIn(user, password)
                #expect(response.status == .ok)
                #expect(response.headers[.location] == nil)
                #expect(response.text.contains("Invalid username or password."))
                #expect(response.text.contains("role=\"alert\""))
                #expect(response.text.contains("name=\"password\""))
                #expect(!response.text.contains("code="))
            }
        }
    }

    @Test("the right password redirects to the registered URI with code and state")
    func success() async throws {
        try await withDevIdP { client in
            let response = try await client.signIn("alice", "alice-pw")
            #expect(response.status == .found)
            #expect(response.headers[.cacheControl] == "no-store")
            let location = try #require(response.headers[.location])
            #expect(location.hasPrefix(Fixture.redirectURI + "?code="))
            #expect(queryItem("state", of: location) == "state-123")
            #expect((queryItem("code", of: location)?.count ?? 0) >= 43)
        }
    }

    @Test("every authorization shows the form: signing in as several users in a row works")
    func noSession() async throws {
        try await withDevIdP { client in
            for (user, password) in [("alice", "alice-pw"), ("bob", "bob-pw"), ("carol", "carol-pw")] {
                let form = try await client.get("/application/o/authorize/?" + AuthorizeParameters().query)
                #expect(form.status == .ok && form.text.contains("name=\"password\""))
                let tokens = try await client.tokens(user, password)
                #expect(try DecodedJWT(tokens.id_token).payload["preferred_username"]?.string == user)
            }
        }
    }

    @Test("code_challenge_method plain, or a challenge without a method, is refused by redirect", arguments: ["plain", nil] as [String?])
    func plainRefused(method: String?) async throws {
        try await withDevIdP { client in
            var parameters = AuthorizeParameters()
            parameters.challenge = Fixture.verifier
            parameters.challengeMethod = method
            let response = try await client.get("/application/o/authorize/?" + parameters.query)
            #expect(response.status == .found)
            let location = response.headers[.location]
            #expect(location?.hasPrefix(Fixture.redirectURI + "?") == true)
            #expect(queryItem("error", of: location) == "invalid_request")
            #expect(queryItem("state", of: location) == "state-123")
            #expect(queryItem("code", of: location) == nil)
        }
    }

    @Test("prompt=none fails with login_required, since no session is ever kept")
    func promptNone() async throws {
        try await withDevIdP { client in
            let response = try await client.get("/application/o/authorize/?" + AuthorizeParameters().query + "&prompt=none")
            #expect(response.status == .found)
            #expect(queryItem("error", of: response.headers[.location]) == "login_required")
            #expect(queryItem("state", of: response.headers[.location]) == "state-123")
            let login = try await client.get("/application/o/authorize/?" + AuthorizeParameters().query + "&prompt=login")
            #expect(login.status == .ok && login.text.contains("<input type=\"hidden\" name=\"prompt\" value=\"login\">"))
        }
    }

    @Test("a response type other than code is refused by redirect")
    func responseType() async throws {
        try await withDevIdP { client in
            let query = AuthorizeParameters().query.replacingOccurrences(of: "response_type=code", with: "response_type=token")
            let response = try await client.get("/application/o/authorize/?" + query)
            #expect(response.status == .found)
            #expect(queryItem("error", of: response.headers[.location]) == "unsupported_response_type")
        }
    }

    @Test("scopes written with + in the query are understood")
    func plusInQuery() async throws {
        try await withDevIdP { client in
            let query = AuthorizeParameters().query.replacingOccurrences(of: "%20", with: "+")
            #expect(query.contains("scope=openid+email"))
            let html = try await client.get("/application/o/authorize/?" + query).text
            #expect(html.contains("name=\"scope\" value=\"openid email profile offline_access\""))
        }
    }
}
