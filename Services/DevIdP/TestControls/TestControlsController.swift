import Hummingbird
import OrcastraRuntime

/// `/_test/…`: switches for tests of relying parties, mounted only with
/// `DEVIDP_TEST_CONTROLS=true`.
///
/// - `POST /_test/rotate-key`: a new signing key with a new kid; the JWKS then lists only it.
/// - `POST /_test/jwks` `{"status": 503}`: the JWKS route answers that status until set back
///   to 200, to test how clients live through an unreachable provider.
/// - `POST /_test/token-style` `{"opaque_access_tokens": true, "omit_kid": true}`: the shape of
///   tokens issued from then on (`TokenStyle`); tokens issued before keep working. `GET` shows it.
/// - `GET /_test/stats`: `{"jwks_requests": N, "introspection_requests": N, "userinfo_requests": N}`,
///   every request counted, failed ones too, so a test can assert how often a client fetched the
///   keys or asked about a token.
struct TestControlsController {
    let keys: KeyRing
    let faults: JWKSFaults
    let counters: EndpointCounters
    let style: TokenStyle

    func addRoutes(to router: Router<AppRequestContext>) {
        let group = router.group("/_test")
        group.post("rotate-key", use: self.rotateKey)
        group.post("jwks", use: self.setJWKSStatus)
        group.get("token-style", use: self.tokenStyle)
        group.post("token-style", use: self.setTokenStyle)
        group.get("stats", use: self.stats)
    }

    struct KeyID: ResponseEncodable { var kid: String }

    struct JWKSStatus: Codable, ResponseEncodable { var status: Int }

    struct Stats: ResponseEncodable {
        var jwksRequests: Int
        var introspectionRequests: Int
        var userinfoRequests: Int
        enum CodingKeys: String, CodingKey {
            case jwksRequests = "jwks_requests"
            case introspectionRequests = "introspection_requests"
            case userinfoRequests = "userinfo_requests"
        }
    }

    @Sendable func rotateKey(_ request: Request, context: AppRequestContext) throws -> KeyID {
        KeyID(kid: try self.keys.rotate().kid)
    }

    @Sendable func setJWKSStatus(_ request: Request, context: AppRequestContext) async throws -> JWKSStatus {
        let body = try await request.decode(as: JWKSStatus.self, context: context)
        guard (200...599).contains(body.status) else {
            throw APIError(.badRequest, code: "invalid_status", message: "status must be an HTTP status from 200 to 599.")
        }
        self.faults.status = body.status
        return body
    }

    @Sendable func tokenStyle(_ request: Request, context: AppRequestContext) -> TokenStyle.Settings {
        self.style.current
    }

    @Sendable func setTokenStyle(_ request: Request, context: AppRequestContext) async throws -> TokenStyle.Settings {
        self.style.current = try await request.decode(as: TokenStyle.Settings.self, context: context)
        return self.style.current
    }

    @Sendable func stats(_ request: Request, context: AppRequestContext) -> Stats {
        Stats(jwksRequests: self.faults.requests, introspectionRequests: self.counters.introspection, userinfoRequests: self.counters.userinfo)
    }
}

extension TokenStyle.Settings: ResponseEncodable {}
