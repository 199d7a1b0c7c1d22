import HTTPTypes
import Hummingbird

extension ClientIPPolicy {
    /// The client of `request`: its peer, or what a trusted proxy's headers say.
    public func resolve(_ request: Request, context: some RemoteAddressRequestContext) -> ResolvedClient {
        self.resolve(peer: context.remoteAddress?.ipAddress) { name in HTTPField.Name(name).flatMap { request.headers[$0] } }
    }
}
