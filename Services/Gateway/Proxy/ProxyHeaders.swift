import Foundation
import HTTPTypes
import Hummingbird
import NIOHTTP1

/// Which headers cross the proxy, in each direction.
enum ProxyHeaders {
    /// RFC 9110 §7.6.1 connection-specific headers: meaningful for one hop only.
    static let hopByHop: Set<String> = [
        "connection", "keep-alive", "proxy-connection", "proxy-authenticate", "proxy-authorization",
        "te", "trailer", "transfer-encoding", "upgrade",
    ]

    /// Headers that claim an identity or a client address. Only the gateway may set them;
    /// a browser-sent one (in any spelling, `X_Forwarded_User` included) is dropped.
    static let identity: Set<String> = [
        "authorization", "cookie", "x-api-key", "x-forwarded-user", "x-forwarded-email", "x-forwarded-groups",
        "x-forwarded-preferred-username", "x-forwarded-access-token", "x-auth-request-user", "x-auth-request-email",
        "x-auth-request-groups", "x-auth-request-access-token", "x-remote-user", "x-remote-groups", "remote-user",
        "x-user", "x-user-id", "x-orcastra-user", "x-orcastra-session", "x-orcastra-proxy-secret", "x-orcastra-client-ip", "x-forwarded-for", "x-forwarded-host", "x-forwarded-proto",
        "x-real-ip", "forwarded", "cf-connecting-ip", "cf-connecting-ipv6", "true-client-ip",
    ]

    /// Normalises a header name so `X_Forwarded_User` and `x-forwarded-user` compare equal.
    /// Every header of every proxied request passes here, and almost all are already lower-case
    /// with dashes (HTTP/1 names arrive canonicalised), so those are returned as they are.
    static func normalised(_ name: some StringProtocol) -> String {
        let isUpper = { (byte: UInt8) in byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") }
        guard name.utf8.contains(where: { $0 == UInt8(ascii: "_") || isUpper($0) }) else { return String(name) }
        return String(decoding: name.utf8.map { $0 == UInt8(ascii: "_") ? UInt8(ascii: "-") : isUpper($0) ? $0 | 0x20 : $0 }, as: UTF8.self)
    }

    /// Names listed in a `Connection` header are hop-by-hop too.
    static func connectionListed(_ value: String?) -> Set<String> {
        guard let value, !value.isEmpty else { return [] }
        return Set(value.split(separator: ",").map { normalised($0.trimmingCharacters(in: .whitespaces)) })
    }

    /// Browser → API: drop hop-by-hop, identity, `Host` and `Content-Length` (the client sets
    /// those for the new hop).
    static func outbound(from headers: HTTPFields) -> HTTPHeaders {
        let listed = connectionListed(headers[.connection])
        var out = HTTPHeaders()
        for field in headers {
            let name = normalised(field.name.canonicalName)
            if hopByHop.contains(name) || identity.contains(name) || listed.contains(name) || name == "host" || name == "content-length" {
                continue
            }
            out.add(name: field.name.rawName, value: field.value)
        }
        return out
    }

    /// What a signed-in request carries to the API: the session's access token and the API's
    /// id of the session, lower-case (as `OpenedSessions` keeps it: not formatted per request).
    struct Credentials {
        var accessToken: String
        var apiSession: String

        init(accessToken: String, apiSession: String) {
            self.accessToken = accessToken
            self.apiSession = apiSession
        }

        init(_ session: GatewaySession) {
            self.init(accessToken: session.accessToken, apiSession: session.apiSessionID.uuidString.lowercased())
        }
    }

    /// The head the API gets for a browser's request to `path`, body framing not yet added:
    /// the browser's headers as `outbound` leaves them, then ours (`Host`, the request id, the
    /// session's credentials when there is one, the client address and the host it asked for).
    static func requestHead(_ method: HTTPRequest.Method, path: String, query: String?, headers: HTTPFields, authority: String?,
                            endpoint: UpstreamPool.Endpoint, requestID: String, credentials: Credentials?, clientIP: String?) -> HTTPRequestHead {
        var uri = endpoint.basePath + path
        if let query, !query.isEmpty { uri += "?" + query }
        var out = self.outbound(from: headers)
        out.add(name: "Host", value: endpoint.authority)
        out.replaceOrAdd(name: "X-Request-ID", value: requestID)
        if let credentials {
            out.add(name: "Authorization", value: "Bearer " + credentials.accessToken)
            out.add(name: "X-Orcastra-Session", value: credentials.apiSession)
        }
        if let clientIP { out.add(name: "X-Forwarded-For", value: clientIP) }
        if let authority { out.add(name: "X-Forwarded-Host", value: authority) }
        return HTTPRequestHead(version: .http1_1, method: HTTPMethod(rawValue: method.rawValue), uri: uri, headers: out)
    }

    /// API → browser: drop hop-by-hop and `Content-Length` (the streamed body declares it).
    static func inbound(from headers: HTTPHeaders) -> HTTPFields {
        let listed = connectionListed(headers.first(name: "connection"))
        var out = HTTPFields()
        for (name, value) in headers {
            let n = normalised(name)
            guard !hopByHop.contains(n), !listed.contains(n), n != "content-length", let fieldName = HTTPField.Name(name) else { continue }
            out.append(HTTPField(name: fieldName, value: value))
        }
        return out
    }
}
