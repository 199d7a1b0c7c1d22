import HTTPTypes
import Hummingbird
import OrcastraRuntime

/// `GET /application/o/<slug>/jwks/`: the current signing key as a JWK Set.
struct JWKSController {
    let endpoints: OIDCEndpoints
    let keys: KeyRing
    let faults: JWKSFaults

    func addRoutes(to router: Router<AppRequestContext>) {
        router.get(RouterPath(self.endpoints.jwksPath), use: self.show)
    }

    @Sendable func show(_ request: Request, context: AppRequestContext) throws -> Response {
        let status = self.faults.recordRequest()
        guard status == 200 else {
            context.state.error = "jwks_fault: answering \(status) as set through /_test/jwks"
            return try JSONResponse.encode(["detail": "JWKS unavailable (test control)."], status: HTTPResponse.Status(code: status))
        }
        return try JSONResponse.encode(self.keys.jwks, status: .ok)
    }
}
