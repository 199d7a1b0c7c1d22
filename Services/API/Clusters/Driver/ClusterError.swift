import Foundation
import OrcastraRuntime

/// Why a call to an LXD/Incus server failed, in words that say which side is at fault.
enum ClusterError: APIErrorConvertible, CustomStringConvertible, Equatable {
    /// No TCP connection (refused, no route, connect timeout).
    case unreachable(String)
    /// Connected, but no complete answer within the call's deadline.
    case timeout(seconds: Double)
    /// The TLS handshake failed: most often the server's certificate is not the pinned one.
    case tls(String)
    /// The server answered with an LXD error body (`{"type":"error","error_code":…,"error":…}`).
    case server(status: Int, message: String)
    /// The server answered something that is not the LXD API.
    case badResponse(String)

    var description: String {
        switch self {
        case .unreachable(let why): "the cluster is unreachable: \(why)"
        case .timeout(let seconds): "the cluster did not answer within \(seconds.formatted()) s"
        case .tls(let why): "TLS with the cluster failed (is its certificate still the pinned one?): \(why)"
        case .server(let status, let message): "the cluster refused (\(status)): \(message)"
        case .badResponse(let why): "the cluster's answer was not understood: \(why)"
        }
    }

    /// A short status word for lists that carry one per cluster.
    var reach: String {
        switch self {
        case .unreachable, .tls: "unreachable"
        case .timeout: "timeout"
        case .server, .badResponse: "error"
        }
    }

    /// How the API answers: the server's own 4xx stays a 4xx with its message (the caller asked
    /// for something LXD refuses); everything else is the cluster's fault, 502/504.
    var apiError: APIError {
        switch self {
        case .unreachable: APIError(.badGateway, code: "cluster_unreachable", message: self.description)
        case .timeout: APIError(.gatewayTimeout, code: "cluster_timeout", message: self.description)
        case .tls: APIError(.badGateway, code: "cluster_tls_failed", message: self.description)
        case .badResponse: APIError(.badGateway, code: "cluster_bad_response", message: self.description)
        case .server(let status, let message):
            switch status {
            case 404: APIError(.notFound, code: "not_found", message: "the cluster has no such object: \(message)")
            case 409: APIError(.conflict, code: "conflict", message: "the cluster refused: \(message)")
            case 400: APIError(.unprocessableContent, code: "cluster_rejected", message: "the cluster refused the request: \(message)")
            case 403: APIError(.badGateway, code: "cluster_forbidden", message: "the cluster no longer trusts Orcastra's certificate: \(message)")
            default: APIError(.badGateway, code: "cluster_error", message: self.description)
            }
        }
    }
}
