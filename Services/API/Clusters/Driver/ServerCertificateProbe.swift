import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import NIOTLS

/// Reads the certificate a server presents, before anything is trusted: registration compares
/// it with the fingerprint in the trust token and then pins it.
///
/// The handshake verifies nothing (that is the point); the caller must compare the result
/// with a fingerprint it got another way, and nothing is sent over this connection.
enum ServerCertificateProbe {
    /// The server's leaf certificate (PEM) at `host:port`.
    static func certificate(at address: String, timeout: Duration) async throws(ClusterError) -> String {
        let (host, port) = try PinnedHTTPS.split(address)
        do {
            return try await self.fetch(host: host, port: port, timeout: timeout)
        } catch let error as ClusterError {
            throw error
        } catch {
            throw ClusterDriver.classify(error, at: address)
        }
    }

    private static func fetch(host: String, port: Int, timeout: Duration) async throws -> String {
        let start = ContinuousClock.now
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.certificateVerification = .none
        let context = try NIOSSLContext(configuration: tls)
        let group = MultiThreadedEventLoopGroup.singleton
        let handshake = group.next().makePromise(of: Void.self)
        let channel: any Channel
        do {
            channel = try await ClientBootstrap(group: group)
            .connectTimeout(timeout.timeAmount)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: context, serverHostname: nil))
                    try channel.pipeline.syncOperations.addHandler(HandshakeWatcher(done: handshake))
                }
            }
            .connect(host: host, port: port).get()
        } catch {
            handshake.fail(error)  // a promise must be completed, even one nobody waits for
            throw error
        }
        defer { channel.close(promise: nil) }
        // Connecting and the handshake share the one timeout.
        let timer = channel.eventLoop.scheduleTask(in: max(timeout - (ContinuousClock.now - start), .zero).timeAmount) {
            handshake.fail(ClusterError.timeout(seconds: timeout.seconds))
        }
        defer { timer.cancel() }
        try await handshake.futureResult.get()
        guard let certificate = try await channel.nioSSL_peerCertificate().get() else {
            throw ClusterError.tls("the server presented no certificate")
        }
        let der = try certificate.toDERBytes()
        let base64 = Data(der).base64EncodedString(options: [.lineLength64Characters, .endLineWithLineFeed])
        return "-----BEGIN CERTIFICATE-----\n\(base64)\n-----END CERTIFICATE-----\n"
    }

    /// Completes `done` when the TLS handshake completes or the connection fails.
    private final class HandshakeWatcher: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let done: EventLoopPromise<Void>
        init(done: EventLoopPromise<Void>) { self.done = done }

        func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
            if case TLSUserEvent.handshakeCompleted = event as? TLSUserEvent ?? .shutdownCompleted { self.done.succeed() }
            context.fireUserInboundEventTriggered(event)
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            self.done.fail(error)
            context.close(promise: nil)
        }

        func channelInactive(context: ChannelHandlerContext) {
            self.done.fail(ClusterError.unreachable("the server closed the connection during the handshake"))
            context.fireChannelInactive()
        }
    }
}
