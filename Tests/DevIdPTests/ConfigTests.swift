import Foundation
import OrcastraRuntime
import OrcastraTestSupport
import Testing

@testable import OrcastraDevIdP

@Suite("DevIdP configuration")
struct ConfigTests {
    /// A seed file in a fresh temporary folder.
    static func seedFile(_ contents: String) throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("devidp-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = directory.appendingPathComponent("seed.json").path
        try Data(contents.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    static let seed = #"{"users":[{"username":"admin","password":"pw","name":"Admin","email":"a@x.test","groups":["role_admin"]},{"username":"t","password":"pw"}]}"#

    static func base() throws -> [String: String] {
        [
            "DEVIDP_CLIENT_ID": "orcastra", "DEVIDP_CLIENT_SECRET": "secret",
            "DEVIDP_REDIRECT_URIS": "http://localhost:4321/api/auth/callback/authentik, http://127.0.0.1:4321/api/auth/callback/authentik",
            "DEVIDP_SEED_FILE": try Self.seedFile(Self.seed),
        ]
    }

    @Test("defaults: 127.0.0.1:9000, public URL from the port, slug orcastra, Authentik-like TTLs")
    func defaults() throws {
        let config = try DevIdPConfig(settings: .testing(try Self.base().merging(["HTTP_PORT": "8765", "HTTP_HOST": "0.0.0.0"]) { $1 }))
        #expect(config.service.httpHost == "127.0.0.1")
        #expect(config.service.httpPort == 9000)
        #expect(config.service.serviceName == "orcastra-devidp")
        #expect(config.service.redis == nil)
        #expect(config.publicURL == "http://localhost:9000")
        #expect(config.issuer == "http://localhost:9000/application/o/orcastra/")
        #expect(config.client.redirectURIs == ["http://localhost:4321/api/auth/callback/authentik", "http://127.0.0.1:4321/api/auth/callback/authentik"])
        #expect(config.client.postLogoutRedirectURIs == [])
        #expect(config.users.map(\.username) == ["admin", "t"])
        #expect(config.users[1].name == "t" && config.users[1].groups == [])
        #expect(config.apiToken == nil)
        #expect(config.accessTokenTTL == .seconds(3600))
        #expect(config.refreshTokenTTL == .seconds(30 * 86400))
        #expect(config.codeTTL == .seconds(60))
        #expect(config.testControls == false)
        #expect(config.keyFile == nil)
    }

    @Test("every DEVIDP_ variable is read")
    func overrides() throws {
        let config = try DevIdPConfig(settings: .testing(try Self.base().merging([
            "DEVIDP_HOST": "0.0.0.0", "DEVIDP_PORT": "9100", "DEVIDP_PUBLIC_URL": "https://id.example.test/",
            "DEVIDP_SLUG": "dash_board", "DEVIDP_POST_LOGOUT_REDIRECT_URIS": "http://localhost:4321/",
            "DEVIDP_API_TOKEN": "tok", "DEVIDP_ACCESS_TOKEN_TTL_SECONDS": "5", "DEVIDP_REFRESH_TOKEN_TTL_SECONDS": "50",
            "DEVIDP_CODE_TTL_SECONDS": "2", "DEVIDP_TEST_CONTROLS": "true", "DEVIDP_KEY_FILE": "/tmp/k.pem",
        ]) { $1 }))
        #expect(config.service.httpHost == "0.0.0.0")
        #expect(config.service.httpPort == 9100)
        #expect(config.issuer == "https://id.example.test/application/o/dash_board/")
        #expect(config.client.postLogoutRedirectURIs == ["http://localhost:4321/"])
        #expect(config.apiToken == "tok")
        #expect(config.accessTokenTTL == .seconds(5) && config.refreshTokenTTL == .seconds(50) && config.codeTTL == .seconds(2))
        #expect(config.testControls)
        #expect(config.keyFile == "/tmp/k.pem")
        let portOnly = try DevIdPConfig(settings: .testing(try Self.base().merging(["DEVIDP_PORT": "9100"]) { $1 }))
        #expect(portOnly.publicURL == "http://localhost:9100")
    }

    @Test("missing or malformed settings name their variable", arguments: [
        (["DEVIDP_CLIENT_SECRET": ""], ConfigError("DEVIDP_CLIENT_SECRET", "is required but not set")),
        (["DEVIDP_CLIENT_ID": ""], ConfigError("DEVIDP_CLIENT_ID", "is required but not set")),
        (["DEVIDP_REDIRECT_URIS": ""], ConfigError("DEVIDP_REDIRECT_URIS", "is required but not set")),
        (["DEVIDP_REDIRECT_URIS": "localhost:4321/cb"], ConfigError("DEVIDP_REDIRECT_URIS", "has 'localhost:4321/cb', which is not an http:// or https:// URL")),
        (["DEVIDP_REDIRECT_URIS": "http://x.test/cb#frag"], ConfigError("DEVIDP_REDIRECT_URIS", "has 'http://x.test/cb#frag', which has a fragment")),
        (["DEVIDP_SEED_FILE": ""], ConfigError("DEVIDP_SEED_FILE", "is required but not set")),
        (["DEVIDP_PORT": "99999"], ConfigError("DEVIDP_PORT", "must be between 0 and 65535")),
        (["DEVIDP_PUBLIC_URL": "localhost:9000"], ConfigError("DEVIDP_PUBLIC_URL", "must be an http:// or https:// URL")),
        (["DEVIDP_SLUG": "a/b"], ConfigError("DEVIDP_SLUG", "must be letters, digits, '-' and '_' only")),
        (["DEVIDP_SLUG": "token"], ConfigError("DEVIDP_SLUG", "must not be 'token', which is one of the provider's own endpoints")),
        (["DEVIDP_CODE_TTL_SECONDS": "0"], ConfigError("DEVIDP_CODE_TTL_SECONDS", "must be between 1 and 600")),
        (["DEVIDP_TEST_CONTROLS": "maybe"], ConfigError("DEVIDP_TEST_CONTROLS", "must be true or false")),
    ] as [([String: String], ConfigError)])
    func errors(values: [String: String], expected: ConfigError) throws {
        let settings = try Self.base().merging(values) { $1 }
        #expect(throws: expected) { try DevIdPConfig(settings: .testing(settings)) }
    }

    @Test("a bad seed file is a clear error that never repeats a password")
    func badSeed() throws {
        let cases: [(String, String)] = [
            ("not json", "is not a {\"users\":[{\"username\",\"password\",…}]} document: not valid JSON"),
            (#"{"people":[]}"#, "is not a {\"users\":[{\"username\",\"password\",…}]} document: missing .users"),
            (#"{"users":[{"username":"a"}]}"#, "is not a {\"users\":[{\"username\",\"password\",…}]} document: missing .users[0].password"),
            (#"{"users":[{"username":"a","password":7}]}"#, "is not a {\"users\":[{\"username\",\"password\",…}]} document: wrong type at .users[0].password"),
            (#"{"users":[]}"#, "has no users"),
            (#"{"users":[{"username":"a","password":"hunter2"},{"username":"a","password":"hunter3"}]}"#, "has the username 'a' twice"),
            (#"{"users":[{"username":" ","password":"hunter2"}]}"#, "has user #1 with an empty username"),
            (#"{"users":[{"username":"a","password":""}]}"#, "has user #1 ('a') without a password"),
            (#"{"users":[{"username":"a","password":"hunter2","groups":[""]}]}"#, "has user #1 ('a') with an empty group name"),
        ]
        for (contents, problem) in cases {
            let path = try Self.seedFile(contents)
            let settings = try Self.base().merging(["DEVIDP_SEED_FILE": path]) { $1 }
            let error = #expect(throws: ConfigError.self) { try DevIdPConfig(settings: .testing(settings)) }
            #expect(error == ConfigError("DEVIDP_SEED_FILE", "(\(path)) \(problem)"))
            #expect(error?.description.contains("hunter") == false)
        }
        let missing = try Self.base().merging(["DEVIDP_SEED_FILE": "/nonexistent/seed.json"]) { $1 }
        #expect(throws: ConfigError("DEVIDP_SEED_FILE", "names /nonexistent/seed.json, which cannot be read")) {
            try DevIdPConfig(settings: .testing(missing))
        }
    }
}
