import HTTPTypes
import Hummingbird

extension ClientIPPolicy {
    /// The client of `request`: its peer, or what a trusted proxy's headers say.
    public func resolve(_ request: Request, context: some RemoteAddressRequestContext) -> ResolvedClient {
        self.resolve(request, peer: context.remoteAddress?.ipAddress)
    }

    /// The same, worked out once per request: the access log, the probe blocker, the rate
    /// limiter and the handlers all ask, and each service has one policy.
    public func resolve(_ request: Request, context: AppRequestContext) -> ResolvedClient {
        if let known = context.state.client { return known }
        let client = self.resolve(request, peer: context.remoteAddress?.ipAddress)
        context.state.client = client
        return client
    }

    private func resolve(_ request: Request, peer: String?) -> ResolvedClient {
        self.resolve(peer: peer) { name in HTTPField.Name(name).flatMap { request.headers[$0] } }
    }
}
