import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import OrcastraRuntime

/// A stand-in API for proxy tests: it streams, redirects and sets hop-by-hop headers on
/// purpose, and reports what it received, so each proxy rule can be observed from outside.
enum TestUpstream {
    static func router() -> Router<BasicRequestContext> {
        let router = Router()
        // Hashes the body as it streams in and reports size, digest and the headers seen.
        router.post("/api/v1/digest") { request, _ -> Response in
            var hash = SHA256()
            var bytes = 0
            for try await chunk in request.body {
                bytes += chunk.readableBytes
                chunk.withUnsafeReadableBytes { hash.update(bufferPointer: $0) }
            }
            let digest = Hex.encode(hash.finalize())
            let names = request.headers.map { $0.name.canonicalName }.sorted().joined(separator: ",")
            let body = "{\"bytes\":\(bytes),\"sha256\":\"\(digest)\",\"headers\":\"\(names)\",\"request_id\":\"\(request.headers[HTTPField.Name("X-Request-ID")!] ?? "")\",\"forwarded_for\":\"\(request.headers[HTTPField.Name("X-Forwarded-For")!] ?? "")\",\"authorization\":\"\(request.headers[.authorization] ?? "")\",\"session\":\"\(request.headers[HTTPField.Name("X-Orcastra-Session")!] ?? "")\"}"
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: body)))
        }
        // Sends `n` MiB of a repeating pattern, streamed in 64 KiB chunks.
        router.get("/api/v1/download/:mib") { _, context -> Response in
            let mib = try context.parameters.require("mib", as: Int.self)
            return Response(status: .ok, body: ResponseBody { writer in
                let chunk = ByteBuffer(bytes: (0..<65536).map { UInt8(truncatingIfNeeded: $0 * 7) })
                for _ in 0..<(mib * 16) { try await writer.write(chunk) }
                try await writer.finish(nil)
            })
        }
        // Echoes each chunk back as it arrives: proves both directions stream.
        router.post("/api/v1/echo") { request, _ -> Response in
            Response(status: .ok, body: ResponseBody(asyncSequence: request.body))
        }
        // Says which credentials reached it: the public health path must carry none.
        router.get("/api/v1/health") { request, _ -> Response in
            let body = "{\"status\":\"ok\",\"authorization\":\"\(request.headers[.authorization] ?? "")\",\"session\":\"\(request.headers[HTTPField.Name("X-Orcastra-Session")!] ?? "")\",\"cookie\":\"\(request.headers[.cookie] ?? "")\"}"
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: body)))
        }
        router.get("/api/v1/redirect") { _, _ -> Response in
            Response(status: .found, headers: [.location: "http://elsewhere.invalid/landing"])
        }
        router.get("/api/v1/hop") { _, _ -> Response in
            Response(status: .ok, headers: [
                .connection: "X-Private-Hop", HTTPField.Name("X-Private-Hop")!: "1",
                HTTPField.Name("Keep-Alive")!: "timeout=5", HTTPField.Name("X-Kept")!: "yes",
            ], body: .init(byteBuffer: ByteBuffer(string: "ok")))
        }
        return router
    }
}
