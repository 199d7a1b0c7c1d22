import OrcastraTestSupport
import Testing

@testable import OrcastraGateway

/// The test stack itself, on the path a failing test takes. Its services were once cancelled
/// mid-shutdown when a test body threw: the process trapped in NIO, or the shutdown never
/// ended and a parallel run stalled with every task suspended.
@Suite("Sign-in stack")
struct SignInStackTests {
    struct Planned: Error {}

    @Test("a test body that throws, at once or with a browser still connected, ends the stack cleanly and passes its error on")
    func throwingBody() async throws {
        for round in 1...3 {
            // Two stacks at once, as in a parallel run: one fails as soon as it is up, the
            // other while a signed-in browser keeps calling it.
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    await #expect(throws: Planned.self, "round \(round), at once") {
                        try await SignInStack.run { _ in throw Planned() }
                    }
                }
                group.addTask {
                    await #expect(throws: Planned.self, "round \(round), connected") {
                        try await SignInStack.run { stack in
                            let browser = TestBrowser()
                            try await stack.signIn(browser, as: "tenant")
                            let traffic = Task {
                                for _ in 0..<50 { _ = try? await browser.request(.GET, stack.gateway + "/api/v1/me") }
                            }
                            defer { traffic.cancel() }
                            throw Planned()
                        }
                    }
                }
                try await group.waitForAll()
            }
        }
    }
}
