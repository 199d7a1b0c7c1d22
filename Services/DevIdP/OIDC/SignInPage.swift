import HTTPTypes

/// The pages of the authorization endpoint.
enum SignInPage {
    /// The sign-in form; the authorization request rides along in hidden fields.
    static func form(_ request: AuthorizationRequest, client: OIDCClient, username: String = "", error: String? = nil) -> HTMLPage {
        let hidden = request.parameters.map { name, value in
            "<input type=\"hidden\" name=\"\(HTMLEscaping.escape(name))\" value=\"\(HTMLEscaping.escape(value))\">"
        }.joined(separator: "\n")
        let alert = error.map { "<p class=\"error\" role=\"alert\">\(HTMLEscaping.escape($0))</p>\n" } ?? ""
        let body = """
            <p class="client">to continue to <code>\(HTMLEscaping.escape(client.clientID))</code></p>
            \(alert)<form method="post" action="\(OIDCEndpoints.authorizePath)/">
            \(hidden)
            <label for="username">Username</label>
            <input type="text" id="username" name="username" value="\(HTMLEscaping.escape(username))" autocomplete="username" autocapitalize="none" spellcheck="false" required autofocus>
            <label for="password">Password</label>
            <input type="password" id="password" name="password" autocomplete="current-password" required>
            <button type="submit">Sign in</button>
            </form>
            """
        return HTMLPage(title: "Sign in", body: body, formTargets: client.redirectOrigins)
    }

    /// A request that cannot be answered with a redirect.
    static func refused(_ message: String) -> HTMLPage {
        HTMLPage(
            status: .badRequest,
            title: "Sign-in request refused",
            body: "<p class=\"error\" role=\"alert\">\(HTMLEscaping.escape(message))</p>\n<p>Start again from the application.</p>"
        )
    }
}
