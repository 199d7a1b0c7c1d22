import Hummingbird
import OrcastraRuntime

/// `/_test/…`: switches for tests of relying parties, mounted only with
/// `DEVIDP_TEST_CONTROLS=true`.
///
/// - `POST /_test/rotate-key`: a new signing key with a new kid; the JWKS then lists only it.
/// - `POST /_test/jwks` `{"status": 503}`: the JWKS route answers that status until set back
///   to 200, to test how clients live through an unreachable provider.
/// - `GET /_test/stats`: `{"jwks_requests": N}`, every JWKS GET counted, failed ones too, so a
///   test can assert how often a client fetched the keys.
struct TestControlsController {
    let keys: KeyRing
    let faults: JWKSFaults

    func addRoutes(to router: Router<AppRequestContext>) {
        let group = router.group("/_test")
        group.post("rotate-key", use: self.rotateKey)
        group.post("jwks", use: self.setJWKSStatus)
        group.get("stats", use: self.stats)
    }

    struct KeyID: ResponseEncodable { var kid: String }

    struct JWKSStatus: Codable, ResponseEncodable { var status: Int }

    struct Stats: ResponseEncodable {
        var jwksRequests: Int
        enum CodingKeys: String, CodingKey { case jwksRequests = "jwks_requests" }
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

    @Sendable func stats(_ request: Request, context: AppRequestContext) -> Stats {
        Stats(jwksRequests: self.faults.requests)
    }
}
