import NIOCore
import NIOHTTP1

/// One connection to the API as the proxy's tasks see it: an exchange is started on the
/// connection's event loop and its answer awaited here.
struct UpstreamConnection: Sendable {
    let channel: any Channel
    let handler: NIOLoopBound<UpstreamHandler>

    func send(_ head: HTTPRequestHead, body: UpstreamPool.Body, idleTimeout: TimeAmount) async throws -> UpstreamResponse {
        let promise = self.channel.eventLoop.makePromise(of: UpstreamResponse.self)
        let handler = self.handler
        switch body {
        case .none, .whole:
            let whole: ByteBuffer? = if case .whole(let buffer) = body { buffer } else { nil }
            self.onLoop { handler.value.begin(head, body: whole, complete: true, idleTimeout: idleTimeout, receiver: AwaitedAnswer(promise: promise)) }
            return try await self.answer(promise)
        case .stream(let chunks):
            self.onLoop { handler.value.begin(head, body: nil, complete: false, idleTimeout: idleTimeout, receiver: AwaitedAnswer(promise: promise)) }
            // The upload runs beside the answer, which may stream back while it goes on (or come
            // early, a 413, say: the handler then closes the connection rather than reuse a
            // half-sent request). An upload that fails (the browser went away) closes the
            // connection, which fails the exchange. Whoever reads the answer ends the upload
            // with it (`UpstreamResponse.endUpload`): the server reads the browser's
            // connection again once the handler returns.
            let channel = self.channel
            let upload = Task {
                do {
                    for try await chunk in chunks {
                        try await channel.writeAndFlush(HTTPClientRequestPart.body(.byteBuffer(chunk)))
                    }
                    try await channel.writeAndFlush(HTTPClientRequestPart.end(nil))
                } catch {
                    channel.close(promise: nil)
                }
            }
            do {
                var answer = try await self.answer(promise)
                answer.upload = upload
                return answer
            } catch {
                upload.cancel()
                await upload.value
                throw error
            }
        }
    }

    /// Runs `work` on the connection's loop: at once when this task already runs there (the
    /// pool prefers such connections), which spares a trip through the loop's task queue.
    private func onLoop(_ work: @escaping @Sendable () -> Void) {
        if self.channel.eventLoop.inEventLoop { work() } else { self.channel.eventLoop.execute(work) }
    }

    /// The answer; a cancelled wait closes the connection, which fails the exchange.
    private func answer(_ promise: EventLoopPromise<UpstreamResponse>) async throws -> UpstreamResponse {
        let channel = self.channel
        return try await withTaskCancellationHandler {
            try await promise.futureResult.get()
        } onCancel: {
            channel.close(promise: nil)
        }
    }
}
