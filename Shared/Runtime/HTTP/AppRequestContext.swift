import Foundation
import Hummingbird
import NIOCore
import OrcastraModels
import Synchronization

/// The request context both services use: Hummingbird's core storage, the peer address, the
/// body limit, and a shared `RequestState` that inner middleware fills in for the access log.
///
/// Contexts are values, so what an inner handler writes into them is not seen by an outer
/// middleware after `next` returns; the access log needs the final user and error, hence the
/// reference-typed state.
public struct AppRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?
    /// Set per service by `BodyLimitMiddleware`; Hummingbird's decoders read it.
    public var maxUploadSize: Int = 1 << 20
    public let state: RequestState
    /// Set by the API's authenticator for the routes behind it.
    public var identity: Identity?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.remoteAddress = source.channel.remoteAddress
        self.state = RequestState()
    }

    public var requestDecoder: JSONDecoder { JSONCoding.decoder }
    public var responseEncoder: JSONEncoder { JSONCoding.encoder }
}

/// Per-request facts gathered on the way in and read by the access log on the way out.
public final class RequestState: Sendable {
    private let storage = Mutex(Storage())

    public init() {}

    struct Storage {
        var requestID = ""
        var user = AccessLogUser()
        var error: String?
        var client: ResolvedClient?
    }

    public var requestID: String {
        get { self.storage.withLock { $0.requestID } }
        set { self.storage.withLock { $0.requestID = newValue } }
    }

    public var user: AccessLogUser {
        get { self.storage.withLock { $0.user } }
        set { self.storage.withLock { $0.user = newValue } }
    }

    /// The client address, once resolved for this request (`ClientIPPolicy.resolve`).
    public var client: ResolvedClient? {
        get { self.storage.withLock { $0.client } }
        set { self.storage.withLock { $0.client = newValue } }
    }

    /// `code: message` of the error answered, if any.
    public var error: String? {
        get { self.storage.withLock { $0.error } }
        set { self.storage.withLock { $0.error = newValue } }
    }
}
