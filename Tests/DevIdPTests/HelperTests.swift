import OrcastraRuntime
import Foundation
import OrcastraTestSupport
import Testing

@testable import OrcastraDevIdP

@Suite("Form, HTML and comparison helpers")
struct HelperTests {
    @Test("form decoding turns + into space and %XX into bytes, and keeps malformed escapes")
    func formDecoding() {
        let fields = FormFields(urlEncoded: "scope=openid+profile&redirect_uri=http%3A%2F%2Fx%2Fcb%3Fa%3D1&name=J%C3%BCrgen&bad=100%&empty=&flag")
        #expect(fields["scope"] == "openid profile")
        #expect(fields["redirect_uri"] == "http://x/cb?a=1")
        #expect(fields["name"] == "Jürgen")
        #expect(fields["bad"] == "100%")
        #expect(fields["empty"] == nil)
        #expect(fields["flag"] == nil)
        #expect(fields.repeatedNames.isEmpty)
        #expect(FormFields(urlEncoded: "a=1&b=2&a=3")["a"] == "1")
        #expect(FormFields(urlEncoded: "a=1&b=2&a=3").repeatedNames == ["a"])
    }

    @Test("redirect parameters are percent-encoded and appended to an existing query")
    func redirects() {
        #expect(RedirectURL.appending([("code", "a b&c"), ("state", nil)], to: "http://x/cb") == "http://x/cb?code=a%20b%26c")
        #expect(RedirectURL.appending([("state", "s")], to: "http://x/cb?keep=1") == "http://x/cb?keep=1&state=s")
        #expect(RedirectURL.appending([], to: "http://x/cb") == "http://x/cb")
    }

    @Test("HTML escaping covers the five special characters")
    func html() {
        #expect(HTMLEscaping.escape(#"<a href="x" title='y'>&</a>"#) == "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;")
    }

    @Test("Basic credentials are form-decoded after splitting at the first colon")
    func basic() {
        let header = "Basic " + Data("my%3Aclient:p%40ss+word:more".utf8).base64EncodedString()
        let credentials = ClientAuthenticator.basicCredentials(header)
        #expect(credentials?.0 == "my:client")
        #expect(credentials?.1 == "p@ss word:more")
        #expect(ClientAuthenticator.basicCredentials("Basic !!!") == nil)
    }

    @Test("PKCE S256 matches an independently computed challenge and rejects malformed verifiers")
    func pkce() {
        #expect(PKCE.challenge(for: Fixture.verifier) == Fixture.challenge)
        #expect(PKCE.verify(verifier: Fixture.verifier, challenge: Fixture.challenge))
        #expect(!PKCE.verify(verifier: Fixture.verifier + "x", challenge: Fixture.challenge))
        #expect(!PKCE.verify(verifier: "short", challenge: PKCE.challenge(for: "short")))
    }

    @Test("secret comparison")
    func compare() {
        #expect(SecureCompare.equal("abc", "abc"))
        #expect(!SecureCompare.equal("abc", "abd"))
        #expect(!SecureCompare.equal("abc", "abcd"))
    }

    @Test("group pks are stable UUIDs derived from the name")
    func groupUUID() {
        let a = UserDirectory.groupUUID("role_admin")
        #expect(a == UserDirectory.groupUUID("role_admin"))
        #expect(a != UserDirectory.groupUUID("role_tenant"))
        #expect(UUID(uuidString: a) != nil)
        #expect(a == a.lowercased())
    }
}
