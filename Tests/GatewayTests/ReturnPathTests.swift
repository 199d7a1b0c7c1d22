import Testing

@testable import OrcastraGateway

/// Security rule 5 (Services/README.md): only same-site relative paths survive as a return-to; the open-redirect
/// class oauth2-proxy keeps as test data (protocol-relative, backslashes, schemes, encoded
/// whitespace and control characters) becomes "/".
@Suite("Return paths (security rule 5)")
struct ReturnPathTests {
    @Test("same-site paths are kept", arguments: ["/", "/account", "/account?tab=keys", "/a/b-c%2Fd", "/instances/x:1"])
    func kept(path: String) {
        #expect(ReturnPath.safe(path) == path)
    }

    @Test("everything else becomes /", arguments: [
        "//evil.example", "///evil.example", "/\\evil.example", "\\\\evil.example", "https://evil.example", "http:/evil.example",
        "javascript:alert(1)", "evil.example", "/%2F%2Fevil.example", "%2F%2Fevil.example", "/%5Cevil.example", "/%09/evil.example",
        "/\t/evil.example", "/ /evil.example", "/%0d%0aLocation:%20http://evil.example", "/%252F%252Fevil.example", "", "//%09evil.example",
        "/\u{2028}/evil.example", "data:text/html,hi",
    ])
    func rejected(path: String) {
        #expect(ReturnPath.safe(path) == "/")
    }

    @Test("nil becomes /")
    func missing() {
        #expect(ReturnPath.safe(nil) == "/")
    }
}
