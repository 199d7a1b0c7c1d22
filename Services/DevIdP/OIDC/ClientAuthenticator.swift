import OrcastraRuntime
import Foundation
import HTTPTypes
import Hummingbird

/// Client authentication at the token, revocation and introspection endpoints, by the two
/// methods discovery advertises.
struct ClientAuthenticator: Sendable {
    let client: OIDCClient

    /// `client_secret_basic` (an `Authorization: Basic` header, preferred when present) or
    /// `client_secret_post` (`client_id` and `client_secret` in the form).
    func authenticate(headers: HTTPFields, form: FormFields) throws(OAuthError) -> OIDCClient {
        if let authorization = headers[.authorization], authorization.lowercased().hasPrefix("basic ") {
            guard let (id, secret) = Self.basicCredentials(authorization) else {
                throw OAuthError.invalidClient(basicAttempted: true)
            }
            return try self.check(id: id, secret: secret, basic: true)
        }
        guard let id = form["client_id"], let secret = form["client_secret"] else {
            throw OAuthError.invalidClient(basicAttempted: false)
        }
        return try self.check(id: id, secret: secret, basic: false)
    }

    private func check(id: String, secret: String, basic: Bool) throws(OAuthError) -> OIDCClient {
        // Both comparisons always run, so timing does not tell a wrong id from a wrong secret.
        let idMatches = SecureCompare.equal(id, self.client.clientID)
        let secretMatches = SecureCompare.equal(secret, self.client.clientSecret)
        guard idMatches && secretMatches else { throw OAuthError.invalidClient(basicAttempted: basic) }
        return self.client
    }

    /// RFC 6749 §2.3.1: the id and secret are form-urlencoded before they are joined with `:`
    /// and base64-encoded, so both are decoded after splitting at the first colon.
    static func basicCredentials(_ header: String) -> (String, String)? {
        let encoded = header.dropFirst("basic ".count).trimmingCharacters(in: .whitespaces)
        guard let data = Data(base64Encoded: encoded), let text = String(data: data, encoding: .utf8),
              let colon = text.firstIndex(of: ":") else { return nil }
        return (FormFields.decode(text[..<colon]), FormFields.decode(text[text.index(after: colon)...]))
    }
}
