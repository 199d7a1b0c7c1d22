import OrcastraRuntime
/// The parameters of an authorization request (RFC 6749 §4.1.1, OIDC Core §3.1.2.1, RFC 7636
/// §4.3), read from the query on GET and from the form's hidden fields on POST.
struct AuthorizationRequest: Sendable, Equatable {
    var responseType: String?
    var clientID: String?
    var redirectURI: String?
    var scope: String?
    var state: String?
    var nonce: String?
    var codeChallenge: String?
    var codeChallengeMethod: String?
    /// Space-separated; only `none` changes anything here.
    var prompt: String?

    init(_ fields: FormFields) {
        self.responseType = fields["response_type"]
        self.clientID = fields["client_id"]
        self.redirectURI = fields["redirect_uri"]
        self.scope = fields["scope"]
        self.state = fields["state"]
        self.nonce = fields["nonce"]
        self.codeChallenge = fields["code_challenge"]
        self.codeChallengeMethod = fields["code_challenge_method"]
        self.prompt = fields["prompt"]
    }

    /// Name and value of every parameter that was sent, for the form's hidden fields.
    var parameters: [(String, String)] {
        let all: [(String, String?)] = [
            ("response_type", self.responseType), ("client_id", self.clientID), ("redirect_uri", self.redirectURI),
            ("scope", self.scope), ("state", self.state), ("nonce", self.nonce),
            ("code_challenge", self.codeChallenge), ("code_challenge_method", self.codeChallengeMethod),
            ("prompt", self.prompt),
        ]
        return all.compactMap { name, value in value.map { (name, $0) } }
    }

    /// Requested scopes we know, in request order; Authentik also drops scopes it has no
    /// mapping for rather than failing.
    var grantedScopes: [String] {
        let known: Set<String> = ["openid", "email", "profile", "offline_access"]
        var granted: [String] = []
        for scope in (self.scope ?? "").split(separator: " ").map(String.init) where known.contains(scope) && !granted.contains(scope) {
            granted.append(scope)
        }
        return granted
    }
}

/// Why an authorization request cannot go on.
enum AuthorizationFailure: Error, Equatable {
    /// The client or redirect URI cannot be trusted: show an error page, never redirect
    /// (RFC 6749 §4.1.2.1), or the endpoint becomes an open redirector.
    case page(String)
    /// The client and redirect URI are fine; tell the client through the redirect.
    case redirect(redirectURI: String, error: String, description: String, state: String?)
}

/// An authorization request whose client and redirect URI are registered.
struct ValidatedAuthorization: Sendable {
    var request: AuthorizationRequest
    var redirectURI: String
    var scopes: [String]
    var codeChallenge: String?
}

extension AuthorizationRequest {
    /// Checks the request against the one registered client, in the order RFC 6749 asks:
    /// client and redirect URI first (errors shown here), then the rest (errors redirected).
    func validate(for client: OIDCClient) throws(AuthorizationFailure) -> ValidatedAuthorization {
        guard let clientID = self.clientID, clientID == client.clientID else {
            throw .page("The application asking you to sign in (client_id “\(self.clientID ?? "")”) is not registered here.")
        }
        guard let redirectURI = self.redirectURI, client.redirectURIs.contains(redirectURI) else {
            throw .page("The redirect URI “\(self.redirectURI ?? "")” is not registered for this application, so you are not sent back to it.")
        }
        func fail(_ error: String, _ description: String) -> AuthorizationFailure {
            .redirect(redirectURI: redirectURI, error: error, description: description, state: self.state)
        }
        guard self.responseType == "code" else {
            throw fail("unsupported_response_type", "Only response_type=code is supported.")
        }
        // Discovery lists `plain` as Authentik does, but a development provider has no reason
        // to accept the downgrade: only S256 passes. A challenge without a method is `plain`
        // by RFC 7636 §4.3, so it is refused too.
        if self.codeChallenge != nil || self.codeChallengeMethod != nil {
            guard self.codeChallengeMethod == "S256" else {
                throw fail("invalid_request", "code_challenge_method must be S256.")
            }
            guard let challenge = self.codeChallenge, challenge.utf8.count == 43, Base64URL.decode(challenge)?.count == 32 else {
                throw fail("invalid_request", "code_challenge must be the base64url SHA-256 of the code verifier.")
            }
        }
        // There is never a session to reuse, so a request that forbids showing the form can
        // only fail, the way OIDC Core §3.1.2.6 says.
        if (self.prompt ?? "").split(separator: " ").contains("none") {
            throw fail("login_required", "prompt=none, but signing in needs the form: this provider keeps no session.")
        }
        return ValidatedAuthorization(request: self, redirectURI: redirectURI, scopes: self.grantedScopes, codeChallenge: self.codeChallenge)
    }
}
