import Foundation
import OrcastraRuntime
import Synchronization
import Testing

/// Security rule 12's two defences, each on its own: the refetch cooldown (sequential unknown
/// kids, nothing concurrent) and the merging of concurrent fetches (cooldown off, one fetch held
/// open while callers pile up).
@Suite("JWKS cache (security rule 12)")
struct JWKSCacheTests {
    /// Counts fetches and can hold them until released.
    final class Provider: Sendable {
        private let state = Mutex<(fetches: Int, held: Bool, waiting: [CheckedContinuation<Void, Never>])>((0, false, []))

        init(held: Bool = false) { self.state.withLock { $0.held = held } }

        var fetches: Int { self.state.withLock { $0.fetches } }

        func fetch() async throws -> [UInt8] {
            await withCheckedContinuation { continuation in
                let resumeNow = self.state.withLock { state -> Bool in
                    state.fetches += 1
                    if state.held { state.waiting.append(continuation) }
                    return !state.held
                }
                if resumeNow { continuation.resume() }
            }
            return Array(try JSONEncoder().encode(["keys": [try TestIssuer.jwk(TestIssuer.sharedKey)]]))
        }

        func release() {
            let waiting = self.state.withLock { state in
                state.held = false
                defer { state.waiting = [] }
                return state.waiting
            }
            for continuation in waiting { continuation.resume() }
        }
    }

    static func isFound(_ lookup: JWKSCache.Lookup) -> Bool { if case .found = lookup { true } else { false } }
    static func isUnknown(_ lookup: JWKSCache.Lookup) -> Bool { if case .unknownKid = lookup { true } else { false } }

    @Test("cooldown: unknown kids one after another fetch once per cooldown, then again once it has passed")
    func cooldown() async throws {
        let provider = Provider()
        let cache = JWKSCache(policy: .init(refetchCooldown: .seconds(2))) { try await provider.fetch() }
        #expect(Self.isFound(await cache.key(kid: TestIssuer.sharedKey.kid)))
        #expect(provider.fetches == 1)
        for i in 0..<20 {
            #expect(Self.isUnknown(await cache.key(kid: "invented-\(i)")))
        }
        #expect(provider.fetches == 1, "no fetch inside the cooldown")
        try await Task.sleep(for: .milliseconds(2100))
        #expect(Self.isUnknown(await cache.key(kid: "invented-after")))
        #expect(provider.fetches == 2, "one fetch once the cooldown has passed")
    }

    @Test("de-duplication: with no cooldown at all, 20 callers arriving during one fetch share it")
    func concurrentCallersShareOneFetch() async throws {
        let provider = Provider(held: true)
        let cache = JWKSCache(policy: .init(refetchCooldown: .zero)) { try await provider.fetch() }
        try await withThrowingTaskGroup(of: Bool.self) { group in
            for _ in 0..<20 {
                group.addTask { Self.isFound(await cache.key(kid: TestIssuer.sharedKey.kid)) }
            }
            // Every caller has reached the cache while the first fetch is still held open.
            while provider.fetches == 0 { try await Task.sleep(for: .milliseconds(10)) }
            try await Task.sleep(for: .milliseconds(300))
            provider.release()
            let found = try await group.reduce(into: [Bool]()) { $0.append($1) }
            #expect(found == Array(repeating: true, count: 20))
        }
        #expect(provider.fetches == 1)
    }
}
