import Foundation
import NIOCore
import OrcastraTestSupport
import Testing

@testable import OrcastraAPI

/// What a misbehaving server cannot make the driver do: hold an answer larger than 16 MiB, or
/// poll an operation in a tight loop.
@Suite("Cluster driver bounds")
struct ClusterDriverBoundsTests {
    static func driver(_ fake: FakeLXD) throws -> ClusterDriver {
        try ClusterDriver(endpoint: "https://\(fake.address)", credentials: try FakeLXD.clientCredentials(server: fake),
                          connectTimeout: .seconds(3), timeout: .seconds(20))
    }

    @Test("an answer over 16 MiB is refused with a clear error; one under it is read")
    func answerCap() async throws {
        let big = 16 * 1024 * 1024 + 1
        try await FakeLXD.with(answer: { _, uri in
            if uri == "/1.0" { return FakeLXD.server(auth: "trusted") }
            // A valid envelope padded past the cap with spaces (JSON allows them).
            var body = ByteBuffer(string: #"{"type":"sync","metadata":{"api_extensions":[],"auth":"trusted"}"#)
            body.writeRepeatingByte(UInt8(ascii: " "), count: big)
            body.writeString("}")
            return (200, body)
        }) { fake in
            let driver = try Self.driver(fake)
            #expect(try await driver.server().auth == "trusted")
            do {
                let _: LXD.Server = try await driver.restGet("/1.0/huge")
                Issue.record("a 16 MiB answer was read")
            } catch let error as ClusterError {
                guard case .badResponse(let why) = error else { Issue.record("\(error)"); return }
                #expect(why.contains("larger than 16 MiB"), "\(why)")
                #expect(error.apiError.code == "cluster_bad_response")
            }
        }
    }

    @Test("a server that answers /wait at once without finishing is polled with a growing pause, not in a loop")
    func waitBacksOff() async throws {
        try await FakeLXD.with(answer: { _, _ in
            FakeLXD.sync(#"{"id":"op-1","status":"Running","status_code":103,"metadata":{}}"#)
        }) { fake in
            let driver = try Self.driver(fake)
            let start = ContinuousClock.now
            await #expect(throws: ClusterError.self) {
                try await driver.wait("op-1", until: .now + .seconds(2), step: .seconds(10),
                                      backoff: WaitBackoff(first: .milliseconds(50), most: .milliseconds(400)))
            }
            // 50 + 100 + 200 + 400 + 400 + 400 + 400 ms fill the two seconds: about 8 polls.
            let polls = fake.requests.count
            #expect((3...12).contains(polls), "\(polls) polls in \(ContinuousClock.now - start)")
        }
    }

    @Test("the pause doubles after each early answer up to its bound, and an answer that was held resets it")
    func backoffSteps() {
        var backoff = WaitBackoff(first: .milliseconds(100), most: .seconds(1))
        let step = Duration.seconds(10)
        let early = Duration.milliseconds(5)
        #expect(backoff.pause(after: early, step: step) == .milliseconds(100))
        #expect(backoff.pause(after: early, step: step) == .milliseconds(200))
        #expect(backoff.pause(after: early, step: step) == .milliseconds(400))
        #expect(backoff.pause(after: early, step: step) == .milliseconds(800))
        #expect(backoff.pause(after: early, step: step) == .seconds(1))
        #expect(backoff.pause(after: early, step: step) == .seconds(1))
        #expect(backoff.pause(after: .seconds(10), step: step) == nil)
        #expect(backoff.pause(after: early, step: step) == .milliseconds(100))
    }
}
