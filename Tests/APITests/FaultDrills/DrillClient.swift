import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// Calls through the gateway as a signed-in browser makes them: the session cookie, and the
/// `Origin` the gateway asks of every change. A call never throws: a transport failure or a
/// timeout is an answer with status 0, so the load can count it like any other.
struct DrillClient: Sendable {
    let http: HTTPClient
    let gateway: String
    let cookie: String

    /// One answer and how long it took.
    struct Answer: Sendable {
        var status: Int
        var contentType: String
        var body: Data
        var elapsed: Duration

        var ok: Bool { (200..<300).contains(self.status) }
        var text: String { String(decoding: self.body, as: UTF8.self) }
    }

    /// A client whose pool holds as many connections as the load has workers and more, so
    /// that requests wait for the gateway, never for a free connection here.
    static func makeHTTPClient() -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        configuration.timeout = .init(connect: .seconds(5), read: .seconds(60))
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 64)
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    func call(_ method: HTTPMethod, _ path: String, json: String? = nil, timeout: TimeAmount = .seconds(60)) async -> Answer {
        var request = HTTPClientRequest(url: self.gateway + path)
        request.method = method
        request.headers.add(name: "Cookie", value: "orcastra_session=\(self.cookie)")
        request.headers.add(name: "Origin", value: self.gateway)
        if let json {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: json))
        }
        let start = ContinuousClock.now
        do {
            let response = try await self.http.execute(request, timeout: timeout)
            let body = try await response.body.collect(upTo: 8 << 20)
            return Answer(status: Int(response.status.code), contentType: response.headers.first(name: "Content-Type") ?? "",
                          body: Data(buffer: body), elapsed: ContinuousClock.now - start)
        } catch {
            return Answer(status: 0, contentType: "", body: Data("\(error)".utf8), elapsed: ContinuousClock.now - start)
        }
    }
}
