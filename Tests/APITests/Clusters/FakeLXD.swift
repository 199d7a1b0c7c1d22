import Crypto
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import SwiftASN1
import Synchronization
import X509

@testable import OrcastraAPI

/// An HTTPS server on loopback that answers like an LXD server in ways the real test bed cannot
/// be made to: one that already trusts every client certificate, one that answers `/wait` at
/// once without finishing, one whose answers are too large, one that is slow or hung on
/// demand. Its certificate is self-signed; its `answer` closure decides every reply and its
/// `delay` closure when it is sent (nil: never, as a hung server). It records the requests and
/// connections it saw, and how many requests it held unanswered at once (`log`, which several
/// fakes may share).
final class FakeLXD: Sendable {
    typealias Answer = @Sendable (_ method: HTTPMethod, _ uri: String) -> (status: Int, body: ByteBuffer)
    /// How long a request waits for its answer; nil: it never gets one.
    typealias Delay = @Sendable (_ method: HTTPMethod, _ uri: String) -> Duration?

    let certificatePEM: String
    let fingerprint: String
    let port: Int
    private let channel: any Channel
    let log: Log

    var address: String { "127.0.0.1:\(self.port)" }
    /// `METHOD uri` of each request, in order.
    var requests: [String] { self.log.state.withLock { $0.requests } }
    /// TCP connections accepted.
    var connections: Int { self.log.state.withLock { $0.connections } }

    /// What the server saw, shared with its channel handlers: requests, connections, and the
    /// requests received and not yet answered (now and at most).
    final class Log: Sendable {
        let state = Mutex<(requests: [String], connections: Int)>(([], 0))
        let open = Mutex<(now: Int, most: Int)>((0, 0))

        /// Most requests held unanswered at the same time.
        var mostOpen: Int { self.open.withLock { $0.most } }
    }

    init(log: Log = Log(), delay: @escaping Delay = { _, _ in .zero }, answer: @escaping Answer) async throws {
        self.log = log
        let identity = try SelfSigned(commonName: "fake-lxd")
        self.certificatePEM = identity.certificatePEM
        self.fingerprint = try ClusterCredentials.fingerprint(pem: identity.certificatePEM)
        var tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: [.certificate(try NIOSSLCertificate(bytes: Array(identity.certificatePEM.utf8), format: .pem))],
            privateKey: .privateKey(try NIOSSLPrivateKey(bytes: Array(identity.keyPEM.utf8), format: .pem)))
        tls.certificateVerification = .none
        let context = try NIOSSLContext(configuration: tls)
        let log = self.log
        self.channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                log.state.withLock { $0.connections += 1 }
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context))
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(Responder(answer: answer, delay: delay, log: log))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        self.port = self.channel.localAddress?.port ?? 0
    }

    func stop() async {
        try? await self.channel.close()
    }

    /// Runs `body` with a fake server, stopping it however `body` ends.
    static func with<T>(delay: @escaping Delay = { _, _ in .zero }, answer: @escaping Answer, _ body: (FakeLXD) async throws -> T) async throws -> T {
        let fake = try await FakeLXD(delay: delay, answer: answer)
        do {
            let result = try await body(fake)
            await fake.stop()
            return result
        } catch {
            await fake.stop()
            throw error
        }
    }

    /// `{"type":"sync","metadata":…}` around `metadata` (JSON text).
    static func sync(_ metadata: String) -> (status: Int, body: ByteBuffer) {
        (200, ByteBuffer(string: #"{"type":"sync","status":"Success","status_code":200,"metadata":\#(metadata)}"#))
    }

    /// `GET /1.0` of a server that says it trusts the caller (`auth`).
    static func server(auth: String) -> (status: Int, body: ByteBuffer) {
        self.sync(#"{"api_extensions":["explicit_trust_token"],"auth":"\#(auth)","environment":{"server":"lxd","server_name":"fake","server_version":"5.0.2","server_clustered":false}}"#)
    }

    /// A client identity of our own, for drivers that talk to the fake directly.
    static func clientCredentials(server fake: FakeLXD) throws -> ClusterCredentials {
        let identity = try SelfSigned(commonName: "orcastra-test-client")
        return ClusterCredentials(certificatePEM: identity.certificatePEM, privateKeyPEM: identity.keyPEM, serverCertificatePEM: fake.certificatePEM)
    }

    /// A self-signed P-256 certificate and its key, in PEM.
    struct SelfSigned {
        var certificatePEM: String
        var keyPEM: String

        init(commonName: String) throws {
            let key = P256.Signing.PrivateKey()
            let name = try DistinguishedName { CommonName(commonName) }
            let now = Date()
            let certificate = try Certificate(
                version: .v3, serialNumber: .init(), publicKey: .init(key.publicKey),
                notValidBefore: now.addingTimeInterval(-300), notValidAfter: now.addingTimeInterval(86400),
                issuer: name, subject: name, signatureAlgorithm: .ecdsaWithSHA256,
                extensions: try Certificate.Extensions { SubjectAlternativeNames([.ipAddress(ASN1OctetString(contentBytes: [127, 0, 0, 1]))]) },
                issuerPrivateKey: .init(key))
            self.certificatePEM = try certificate.serializeAsPEM().pemString
            self.keyPEM = key.pemRepresentation
        }
    }

    /// Answers each request with `answer` after `delay`, closing the connection after it (as
    /// LXD does for `Connection: close`).
    private final class Responder: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart
        let answer: Answer
        let delay: Delay
        let log: Log
        var head: HTTPRequestHead?
        /// A request received and not yet answered on this connection.
        var pending = false

        init(answer: @escaping Answer, delay: @escaping Delay, log: Log) {
            self.answer = answer
            self.delay = delay
            self.log = log
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch self.unwrapInboundIn(data) {
            case .head(let head): self.head = head
            case .body: break
            case .end:
                guard let head = self.head else { return }
                self.log.state.withLock { $0.requests.append("\(head.method.rawValue) \(head.uri)") }
                self.opened()
                guard let delay = self.delay(head.method, head.uri) else { return }  // hung: the client's deadline ends it
                if delay == .zero {
                    self.respond(context: context, head: head)
                } else {
                    let loop = context.eventLoop
                    let bound = NIOLoopBound((self, context), eventLoop: loop)
                    _ = loop.scheduleTask(in: delay.timeAmount) { bound.value.0.respond(context: bound.value.1, head: head) }
                }
            }
        }

        func channelInactive(context: ChannelHandlerContext) {
            self.closed()
            context.fireChannelInactive()
        }

        private func opened() {
            self.pending = true
            self.log.open.withLock { $0.now += 1; $0.most = max($0.most, $0.now) }
        }

        private func closed() {
            guard self.pending else { return }
            self.pending = false
            self.log.open.withLock { $0.now -= 1 }
        }

        private func respond(context: ChannelHandlerContext, head: HTTPRequestHead) {
            guard context.channel.isActive else { return }
            let (status, body) = self.answer(head.method, head.uri)
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: "application/json")
            headers.add(name: "Content-Length", value: String(body.readableBytes))
            headers.add(name: "Connection", value: "close")
            self.closed()
            context.write(self.wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .init(statusCode: status), headers: headers))), promise: nil)
            context.write(self.wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
            context.writeAndFlush(self.wrapOutboundOut(.end(nil))).whenComplete { _ in context.close(promise: nil) }
        }
    }
}
