import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import OrcastraModels
import OrcastraRuntime

/// The gateway's own calls to the API around sign-in: register the session, ask who the user
/// is, report refreshes, sign-outs and failed sign-ins (so the API's audit trail has them).
///
/// Every call carries `AUTH_PROXY_SECRET` and the browser's address (`client`), so the API
/// rate-limits each browser on its own: keyed on the gateway's address, one loop hitting the
/// callback used to spend the budget every sign-in shares.
struct APIClient: Sendable {
    let http: HTTPClient
    let apiURL: String
    let proxySecret: String?

    struct Failure: Error, CustomStringConvertible {
        var status: Int
        var description: String
    }

    /// The API also records the browser's address and agent from `start`, believed because of the secret.
    func startSession(accessToken: String, _ start: SessionStart, requestID: String, client: String?) async throws -> SessionInfo {
        try await self.call(.POST, "/api/v1/sessions", token: accessToken, session: nil, body: start, requestID: requestID, client: client)
    }

    func me(accessToken: String, session: UUID, requestID: String, client: String?) async throws -> Identity {
        try await self.call(.GET, "/api/v1/me", token: accessToken, session: session, body: Optional<SessionStart>.none, requestID: requestID, client: client)
    }

    func reportRefresh(accessToken: String, session: UUID, requestID: String, client: String?) async throws {
        try await self.send(.POST, "/api/v1/sessions/\(session.uuidString.lowercased())/refresh", token: accessToken, session: session, requestID: requestID, client: client)
    }

    func logout(accessToken: String, session: UUID, requestID: String, client: String?) async throws {
        try await self.send(.POST, "/api/v1/sessions/\(session.uuidString.lowercased())/logout", token: accessToken, session: session, requestID: requestID, client: client)
    }

    /// Best effort: a failed report is logged by the caller, never shown to the user.
    func reportLoginFailure(_ report: LoginFailureReport, requestID: String) async throws {
        guard self.proxySecret != nil else { throw Failure(status: 0, description: "AUTH_PROXY_SECRET is not set") }
        _ = try await self.execute(try self.request(.POST, "/api/v1/auth/login-failures", token: nil, session: nil, requestID: requestID,
                                                    client: report.ip, body: report))
    }

    private func call<Body: Encodable, Answer: Decodable>(
        _ method: HTTPMethod, _ path: String, token: String, session: UUID?, body: Body?, requestID: String, client: String?
    ) async throws -> Answer {
        let data = try await self.execute(try self.request(method, path, token: token, session: session, requestID: requestID, client: client, body: body))
        return try JSONCoding.decoder.decode(Answer.self, from: data)
    }

    private func send(_ method: HTTPMethod, _ path: String, token: String, session: UUID?, requestID: String, client: String?) async throws {
        _ = try await self.execute(try self.request(method, path, token: token, session: session, requestID: requestID, client: client,
                                                    body: Optional<SessionStart>.none))
    }

    private func request(_ method: HTTPMethod, _ path: String, token: String?, session: UUID?, requestID: String, client: String?,
                         body: (some Encodable)?) throws -> HTTPClientRequest {
        var request = HTTPClientRequest(url: self.apiURL + path)
        request.method = method
        request.headers.add(name: "Accept", value: "application/json")
        request.headers.add(name: "X-Request-ID", value: requestID)
        if let secret = self.proxySecret {
            request.headers.add(name: ProxySecret.header.rawName, value: secret)
            if let client { request.headers.add(name: ProxySecret.clientHeader.rawName, value: client) }
        }
        if let token { request.headers.add(name: "Authorization", value: "Bearer " + token) }
        if let session { request.headers.add(name: "X-Orcastra-Session", value: session.uuidString.lowercased()) }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: try JSONCoding.encoder.encode(body)))
        }
        return request
    }

    private func execute(_ request: HTTPClientRequest) async throws -> Data {
        let response = try await self.http.execute(request, timeout: .seconds(10))
        let body = Data(buffer: try await response.body.collect(upTo: 1 << 20))
        guard (200..<300).contains(response.status.code) else {
            let message = (try? JSONCoding.decoder.decode(ErrorBody.self, from: body)).map { "\($0.error.code): \($0.error.message)" } ?? ""
            throw Failure(status: Int(response.status.code), description: "API answered \(response.status.code) to \(request.method) \(request.url): \(message)")
        }
        return body
    }
}
