import Foundation
import Hummingbird

/// The framework's own limit on this machine, for `make bench`: Hummingbird 2 answering a small
/// JSON object, built from the same dependency versions as the services, with nothing else in
/// the request path. `BENCH_HELLO_PORT` picks the port (default 8799).
struct Hello: ResponseEncodable {
    var hello = "world"
    var version = "bench"
}

let port = Int(ProcessInfo.processInfo.environment["BENCH_HELLO_PORT"] ?? "") ?? 8799
let router = Router()
router.get("/hello") { _, _ in Hello() }
let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port), serverName: "bench-hello"))
try await app.runService()
