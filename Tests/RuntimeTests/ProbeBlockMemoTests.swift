import Testing

@testable import OrcastraRuntime

/// The probe blocker remembers Redis's answer for a moment and its own blocks at once.
@Suite("Probe block memo")
struct ProbeBlockMemoTests {
    @Test("Redis's answer is believed for its lifetime, then asked again")
    func believedBriefly() {
        let memo = ProbeBlockMemo(lifetime: .seconds(2))
        let now = ContinuousClock.now
        #expect(memo.answer("192.0.2.1", now: now) == nil)
        memo.note("192.0.2.1", remaining: nil, now: now)
        #expect(memo.answer("192.0.2.1", now: now + .seconds(1)) == .clear)
        #expect(memo.answer("192.0.2.1", now: now + .seconds(2)) == nil)
        memo.note("192.0.2.2", remaining: .seconds(60), now: now)
        #expect(memo.answer("192.0.2.2", now: now + .seconds(1)) == .blocked(remaining: .seconds(59)))
        #expect(memo.answer("192.0.2.2", now: now + .seconds(3)) == nil)
    }

    @Test("a block set here applies at once and for as long as it lasts, over a remembered 'clear'")
    func ownBlock() {
        let memo = ProbeBlockMemo(lifetime: .seconds(2))
        let now = ContinuousClock.now
        memo.note("192.0.2.1", remaining: nil, now: now)
        memo.blocked("192.0.2.1", for: .seconds(900), now: now)
        #expect(memo.answer("192.0.2.1", now: now) == .blocked(remaining: .seconds(900)))
        #expect(memo.answer("192.0.2.1", now: now + .seconds(600)) == .blocked(remaining: .seconds(300)))
        #expect(memo.answer("192.0.2.1", now: now + .seconds(900)) == nil)
    }

    @Test("bounded: a new address past its capacity starts it afresh")
    func bounded() {
        let memo = ProbeBlockMemo(capacity: 2)
        for ip in ["a", "b", "c"] { memo.note(ip, remaining: nil) }
        #expect([memo.answer("a"), memo.answer("b"), memo.answer("c")] == [nil, nil, .clear])
    }
}
