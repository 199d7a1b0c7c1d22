import AsyncHTTPClient
import Foundation
import NIOCore

/// The parts of an OpenID provider's discovery document we use.
///
/// Authentik publishes it at `<issuer>.well-known/openid-configuration`, where the issuer ends
/// in a slash; the document's `issuer` must equal the configured one exactly (OpenID Connect
/// Discovery 1.0 §4.3), or a look-alike provider could hand us its keys.
public struct ProviderMetadata: Codable, Sendable, Equatable {
    public var issuer: String
    public var authorizationEndpoint: String
    public var tokenEndpoint: String
    public var userinfoEndpoint: String?
    public var endSessionEndpoint: String?
    /// Token introspection (RFC 7662; the name is RFC 8414's): where the API asks about opaque access tokens.
    public var introspectionEndpoint: String?
    public var jwksURI: String

    public init(issuer: String, authorizationEndpoint: String, tokenEndpoint: String, userinfoEndpoint: String?, endSessionEndpoint: String?,
                introspectionEndpoint: String? = nil, jwksURI: String) {
        self.issuer = issuer
        self.authorizationEndpoint = authorizationEndpoint
        self.tokenEndpoint = tokenEndpoint
        self.userinfoEndpoint = userinfoEndpoint
        self.endSessionEndpoint = endSessionEndpoint
        self.introspectionEndpoint = introspectionEndpoint
        self.jwksURI = jwksURI
    }

    enum CodingKeys: String, CodingKey {
        case issuer
        case authorizationEndpoint = "authorization_endpoint"
        case tokenEndpoint = "token_endpoint"
        case userinfoEndpoint = "userinfo_endpoint"
        case endSessionEndpoint = "end_session_endpoint"
        case introspectionEndpoint = "introspection_endpoint"
        case jwksURI = "jwks_uri"
    }

    /// Where the discovery document of `issuer` lives.
    public static func discoveryURL(issuer: String) -> String {
        (issuer.hasSuffix("/") ? issuer : issuer + "/") + ".well-known/openid-configuration"
    }

    /// Fetches and checks the discovery document of `issuer`.
    public static func fetch(issuer: String, http: HTTPClient, timeout: TimeAmount = .seconds(5)) async throws(OIDCError) -> ProviderMetadata {
        let body = try await OIDCFetch.get(Self.discoveryURL(issuer: issuer), http: http, timeout: timeout)
        let metadata: ProviderMetadata
        do {
            metadata = try JSONDecoder().decode(ProviderMetadata.self, from: Data(body))
        } catch {
            throw OIDCError("the discovery document of \(issuer) is not valid: \(error)")
        }
        guard metadata.issuer == issuer else {
            throw OIDCError("the discovery document names issuer \(metadata.issuer), not the configured \(issuer)")
        }
        return metadata
    }
}

/// A failure talking to the identity provider, phrased for a log line (never containing a token).
public struct OIDCError: Error, CustomStringConvertible, Equatable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// GET with a deadline, answering the body of a 200 or an `OIDCError` saying what went wrong.
enum OIDCFetch {
    static let maxBytes = 1 << 20

    static func get(_ url: String, http: HTTPClient, timeout: TimeAmount) async throws(OIDCError) -> [UInt8] {
        do {
            var request = HTTPClientRequest(url: url)
            request.headers.add(name: "Accept", value: "application/json")
            let response = try await http.execute(request, timeout: timeout)
            guard response.status == .ok else {
                throw OIDCError("\(url) answered \(response.status.code)")
            }
            return Array(buffer: try await response.body.collect(upTo: Self.maxBytes))
        } catch let error as OIDCError {
            throw error
        } catch {
            throw OIDCError("\(url) could not be fetched: \(error)")
        }
    }
}
