import Foundation
import Testing

@testable import OrcastraAPI

/// The API believes an open session for a few seconds, never after it ended here.
@Suite("Open-session memo")
struct OpenSessionMemoTests {
    let session = UUID(), user = UUID()

    @Test("found open → believed for its lifetime, for its own user only")
    func believed() {
        let memo = OpenSessionMemo(lifetime: .seconds(5))
        let now = ContinuousClock.now
        #expect(!memo.believesOpen(self.session, user: self.user, now: now))
        memo.remember(self.session, user: self.user, ticket: memo.beginLookup(), now: now)
        #expect(memo.believesOpen(self.session, user: self.user, now: now + .seconds(4)))
        #expect(!memo.believesOpen(self.session, user: UUID(), now: now))
        #expect(!memo.believesOpen(self.session, user: self.user, now: now + .seconds(5)))
    }

    @Test("ended → forgotten at once; a lookup in flight while any session ended is not remembered")
    func endWins() {
        let memo = OpenSessionMemo()
        memo.remember(self.session, user: self.user, ticket: memo.beginLookup())
        memo.ended(self.session)
        #expect(!memo.believesOpen(self.session, user: self.user))
        let ticket = memo.beginLookup()
        memo.ended(UUID())
        memo.remember(self.session, user: self.user, ticket: ticket)
        #expect(!memo.believesOpen(self.session, user: self.user))
    }

    @Test("bounded: past its capacity it starts afresh rather than growing")
    func bounded() {
        let memo = OpenSessionMemo(capacity: 3)
        let ids = (0..<4).map { _ in UUID() }
        for id in ids { memo.remember(id, user: self.user, ticket: memo.beginLookup()) }
        #expect(ids.filter { memo.believesOpen($0, user: self.user) } == [ids[3]])
    }
}
