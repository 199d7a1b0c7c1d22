import NIOCore
import NIOHTTP1

/// The API's answer to one proxied request.
struct UpstreamResponse: Sendable {
    var head: HTTPResponseHead
    var body: Body
    /// A streamed upload still running beside the answer.
    var upload: Task<Void, Never>?

    init(head: HTTPResponseHead, body: Body) {
        self.head = head
        self.body = body
    }

    /// Stops what is left of a streamed upload once the answer is read: the API has said all
    /// it will say about this request.
    func endUpload() async {
        guard let upload = self.upload else { return }
        upload.cancel()
        await upload.value
    }

    enum Body: Sendable {
        /// The whole body, already read (small and declared so).
        case whole(ByteBuffer)
        /// The body as it arrives; reading it is what lets the connection read more.
        case stream(UpstreamBody)
    }
}

/// A streamed answer body. Its buffer is bounded: past `highWatermark` chunks the connection
/// stops reading from the socket until the consumer is down to `lowWatermark`.
typealias UpstreamBody = NIOThrowingAsyncSequenceProducer<
    ByteBuffer, any Error, NIOAsyncSequenceProducerBackPressureStrategies.HighLowWatermark, UpstreamDemand
>

extension UpstreamBody {
    static func make(demand: UpstreamDemand) -> NewSequence {
        Self.makeSequence(
            elementType: ByteBuffer.self, failureType: (any Error).self,
            backPressureStrategy: .init(lowWatermark: 2, highWatermark: 8), finishOnDeinit: false, delegate: demand
        )
    }
}

/// Tells a connection's handler, on its event loop, that the body's consumer wants more or left.
struct UpstreamDemand: NIOAsyncSequenceProducerDelegate {
    let handler: NIOLoopBound<UpstreamHandler>
    let exchange: Int

    func produceMore() {
        let (handler, exchange) = (self.handler, self.exchange)
        handler.eventLoop.execute { handler.value.resume(exchange: exchange) }
    }

    func didTerminate() {
        let (handler, exchange) = (self.handler, self.exchange)
        handler.eventLoop.execute { handler.value.abandon(exchange: exchange) }
    }
}

/// Why an exchange with the API failed.
enum UpstreamError: Error, CustomStringConvertible {
    /// The connection closed (or could not be used) before the answer was complete.
    case closed
    /// Nothing arrived from the API for this long.
    case timedOut(TimeAmount)
    /// The API sent bytes no request asked for.
    case unexpectedAnswer
    /// The answer's reader went away before the end; the connection was closed.
    case abandoned

    var description: String {
        switch self {
        case .closed: "the connection to the API closed before the answer was complete"
        case .timedOut(let amount): "the API sent nothing for \(amount.nanoseconds / 1_000_000_000) s"
        case .unexpectedAnswer: "the API sent an answer no request asked for"
        case .abandoned: "the answer's reader went away"
        }
    }
}
