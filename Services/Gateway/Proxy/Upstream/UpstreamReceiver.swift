import NIOCore
import NIOHTTP1

/// Whoever takes the API's answer to one exchange, called on the connection's event loop in
/// order: `head` once, `body` per chunk, then `end`; or `failed` at any point instead.
///
/// Two kinds: `AwaitedAnswer` hands the answer to a task of the router's proxy, and
/// `DirectRelay` writes it straight onto the browser's connection.
protocol UpstreamReceiver: AnyObject {
    /// The answer's head (never an interim 1xx), with the body length it declares (0 for 204
    /// and 304), and the connection's exchange number for later `resume`/`abandon` calls.
    func head(_ head: HTTPResponseHead, length: Int?, from handler: UpstreamHandler, exchange: Int)
    /// A piece of the body; the answer says whether the connection should read on.
    func body(_ chunk: ByteBuffer) -> UpstreamHandler.Demand
    /// The answer is complete; the connection has already gone back to the pool (or closed).
    func end()
    func failed(_ error: any Error)
}

/// The answer as a task awaits it: whole when it is small and declared so, otherwise a stream
/// with backpressure (the socket is read only as fast as its reader takes the body).
final class AwaitedAnswer: UpstreamReceiver {
    private enum State {
        case awaitingHead
        case collecting(HTTPResponseHead, ByteBuffer)
        case streaming(UpstreamBody.Source)
        case done
    }

    private var state = State.awaitingHead
    private let promise: EventLoopPromise<UpstreamResponse>

    init(promise: EventLoopPromise<UpstreamResponse>) {
        self.promise = promise
    }

    func head(_ head: HTTPResponseHead, length: Int?, from handler: UpstreamHandler, exchange: Int) {
        if let length, length <= UpstreamHandler.wholeLimit {
            self.state = .collecting(head, ByteBufferAllocator().buffer(capacity: length))
        } else {
            let body = UpstreamBody.make(demand: UpstreamDemand(handler: NIOLoopBound(handler, eventLoop: self.promise.futureResult.eventLoop), exchange: exchange))
            self.state = .streaming(body.source)
            self.promise.succeed(UpstreamResponse(head: head, body: .stream(body.sequence)))
        }
    }

    func body(_ chunk: ByteBuffer) -> UpstreamHandler.Demand {
        switch self.state {
        case .collecting(let head, var buffer):
            self.state = .done  // lets `buffer` be appended to in place
            var chunk = chunk
            buffer.writeBuffer(&chunk)
            self.state = .collecting(head, buffer)
            return .more
        case .streaming(let source):
            switch source.yield(chunk) {
            case .produceMore: return .more
            case .stopProducing: return .pause
            case .dropped: return .stop
            }
        case .awaitingHead, .done:
            return .stop
        }
    }

    func end() {
        switch self.state {
        case .collecting(let head, let buffer): self.promise.succeed(UpstreamResponse(head: head, body: .whole(buffer)))
        case .streaming(let source): source.finish()
        case .awaitingHead, .done: break
        }
        self.state = .done
    }

    func failed(_ error: any Error) {
        switch self.state {
        case .awaitingHead, .collecting: self.promise.fail(error)
        case .streaming(let source): source.finish(error)
        case .done: break
        }
        self.state = .done
    }
}
