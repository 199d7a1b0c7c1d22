import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// HTTPS with a client certificate to a server known by the SHA-256 of its certificate.
///
/// Why not async-http-client: LXD's server certificates are self-signed with `CA:FALSE` and no
/// `keyCertSign`, and BoringSSL will not take such a certificate as a trust root (it is not
/// "self-signed" in its sense, `EXFLAG_SS`), so the only way to pin it is NIOSSL's custom
/// verification callback, which async-http-client does not expose. Each call is one
/// connection (`Connection: close`): calls to a cluster are few and the handshake is cheap
/// next to what LXD does, and nothing is shared between calls that a pin could miss.
struct PinnedHTTPS: Sendable {
    let host: String
    let port: Int
    let context: NIOSSLContext
    /// Lower-case hex SHA-256 of the server certificate's DER.
    let fingerprint: String
    let connectTimeout: Duration

    struct Response: Sendable {
        var status: Int
        var body: ByteBuffer
    }

    /// `tls` carries our certificate and key; the server is checked by the pin alone.
    init(address: String, tls: TLSConfiguration, fingerprint: String, connectTimeout: Duration) throws {
        let (host, port) = try Self.split(address)
        var tls = tls
        tls.certificateVerification = .noHostnameVerification
        self.host = host
        self.port = port
        self.context = try NIOSSLContext(configuration: tls)
        self.fingerprint = fingerprint
        self.connectTimeout = connectTimeout
    }

    /// `host` and `port` of `host:port` or `[v6]:port`.
    static func split(_ address: String) throws(ClusterError) -> (String, Int) {
        guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]) else {
            throw .unreachable("'\(address)' is not host:port")
        }
        var host = String(address[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return (host, port)
    }

    /// TLS with our certificate that accepts exactly the pinned server certificate.
    func pinnedTLS() throws -> NIOSSLClientHandler {
        let pin = self.fingerprint
        return try NIOSSLClientHandler(context: self.context, serverHostname: nil) { certificates, verdict in
            let presented = certificates.first.flatMap { try? $0.toDERBytes() }.map(ClusterCredentials.fingerprint(der:))
            verdict.succeed(presented == pin ? .certificateVerified : .failed)
        }
    }

    /// One request and its answer, all within `deadline` (connecting included).
    func send(_ method: HTTPMethod, _ target: String, body: Data?, deadline: Duration) async throws -> Response {
        let start = ContinuousClock.now
        let group = MultiThreadedEventLoopGroup.singleton
        let done = group.next().makePromise(of: Response.self)
        let https = self
        let channel: any Channel
        do {
            channel = try await ClientBootstrap(group: group)
                .connectTimeout(min(self.connectTimeout, deadline).timeAmount)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(try https.pinnedTLS())
                        try channel.pipeline.syncOperations.addHTTPClientHandlers()
                        try channel.pipeline.syncOperations.addHandler(ResponseCollector(done: done))
                    }
                }
                .connect(host: self.host, port: self.port).get()
        } catch ChannelError.connectTimeout(_) {
            done.fail(ChannelError.connectTimeout(.zero))  // a promise must be completed, even one nobody waits for
            throw ClusterError.unreachable("no connection to \(self.host):\(self.port) within \(self.connectTimeout)")
        } catch {
            done.fail(error)
            throw ClusterDriver.classify(error, at: "\(self.host):\(self.port)")
        }
        let remaining = deadline - (ContinuousClock.now - start)
        let timer = channel.eventLoop.scheduleTask(in: max(remaining, .zero).timeAmount) {
            done.fail(ClusterError.timeout(seconds: deadline.seconds))
            channel.close(promise: nil)
        }
        defer {
            timer.cancel()
            channel.close(promise: nil)
        }
        var head = HTTPRequestHead(version: .http1_1, method: method, uri: target)
        head.headers.add(name: "Host", value: self.host.contains(":") ? "[\(self.host)]:\(self.port)" : "\(self.host):\(self.port)")
        head.headers.add(name: "Accept", value: "application/json")
        head.headers.add(name: "Connection", value: "close")
        head.headers.add(name: "User-Agent", value: "orcastra-api")
        if let body {
            head.headers.add(name: "Content-Type", value: "application/json")
            head.headers.add(name: "Content-Length", value: String(body.count))
        } else if method == .POST || method == .PUT || method == .PATCH {
            head.headers.add(name: "Content-Length", value: "0")
        }
        channel.write(HTTPClientRequestPart.head(head), promise: nil)
        if let body { channel.write(HTTPClientRequestPart.body(.byteBuffer(ByteBuffer(data: body))), promise: nil) }
        channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
        return try await done.futureResult.get()
    }

    /// The most Orcastra reads of one answer: LXD's largest (an instance list with
    /// `recursion=2` on a big server) stays well under it, and the API holds every answer in
    /// memory, so a server must not be able to make it hold more.
    static let maxAnswerBytes = 16 * 1024 * 1024

    /// Gathers one response (head and body, up to `maxAnswerBytes`) and completes `done`.
    private final class ResponseCollector: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = HTTPClientResponsePart
        static let limit = PinnedHTTPS.maxAnswerBytes
        let done: EventLoopPromise<Response>
        var status = 0
        var body = ByteBuffer()
        /// Set once the answer was refused as too large: what still arrives is dropped.
        var refused = false

        init(done: EventLoopPromise<Response>) { self.done = done }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch self.unwrapInboundIn(data) {
            case .head(let head):
                self.status = Int(head.status.code)
                // A declared length past the limit is refused before its body is read.
                if let length = head.headers.first(name: "Content-Length").flatMap(Int.init), length > Self.limit {
                    self.tooLarge(context)
                }
            case .body(var chunk):
                guard !self.refused else { return }
                guard self.body.readableBytes + chunk.readableBytes <= Self.limit else {
                    self.tooLarge(context)
                    return
                }
                self.body.writeBuffer(&chunk)
            case .end:
                guard !self.refused else { return }
                self.done.succeed(Response(status: self.status, body: self.body))
            }
        }

        private func tooLarge(_ context: ChannelHandlerContext) {
            self.refused = true
            self.done.fail(ClusterError.badResponse("the answer is larger than \(Self.limit / 1024 / 1024) MiB, the most Orcastra reads from a cluster"))
            context.close(promise: nil)
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            self.done.fail(error)
            context.close(promise: nil)
        }

        func channelInactive(context: ChannelHandlerContext) {
            self.done.fail(ClusterError.unreachable("the connection closed before a complete answer"))
            context.fireChannelInactive()
        }
    }
}

extension Duration {
    /// The same span for NIO.
    var timeAmount: TimeAmount {
        .nanoseconds(self.components.seconds * 1_000_000_000 + self.components.attoseconds / 1_000_000_000)
    }

    var seconds: Double {
        Double(self.components.seconds) + Double(self.components.attoseconds) / 1e18
    }
}
