import Logging
import SluiceCore
import Testing

@testable import SluiceBroker

/// Which open topics are asked to close beyond the budget: the least recently used, each once until it answers.
@Suite struct OpenTopicsTests {
    let sweeper = Sweeper(settings: SweeperSettings(), clock: { 0 }) { _ in false }

    func handles(_ count: Int, in open: OpenTopics) -> [TopicHandle] {
        (0..<count).map { index in
            TopicHandle(
                name: "t\(index)", path: "/nonexistent/t\(index).db", config: TopicConfig(),
                retention: TopicRetention(topic: "t\(index)", sweeper: sweeper), openTopics: open,
                logger: Logger(label: "test"))
        }
    }

    @Test func theLeastRecentlyUsedAreAskedToCloseBeyondTheBudget() {
        let open = OpenTopics(budget: 2)
        let topics = handles(5, in: open)
        #expect(open.used(topics[0]).isEmpty && open.used(topics[1]).isEmpty)
        #expect(open.used(topics[0]).isEmpty, "a use of an open topic opens nothing more")
        #expect(open.used(topics[2]).map(\.name) == ["t1"], "t0 was used since t1")
        open.closed(topics[1])
        #expect(open.count == 2)
        // A topic asked to close is not asked again until it answers; one that stayed open (busy) may be.
        #expect(open.used(topics[3]).map(\.name) == ["t0"])
        #expect(open.used(topics[4]).map(\.name).sorted() == ["t2", "t3"])
        open.stayedOpen(topics[0])
        open.closed(topics[2])
        open.closed(topics[3])
        #expect(open.count == 2)
        #expect(open.used(topics[1]).map(\.name) == ["t0"])
    }

    /// A writer finding the budget used up asks the least recently used topic to close and is retried when it has;
    /// one overdue is let in up to twice the budget.
    @Test func aWriterWithoutRoomIsRetriedWhenATopicCloses() async throws {
        let open = OpenTopics(budget: 1)
        let topics = handles(3, in: open)
        #expect(open.used(topics[0]).isEmpty)
        let retried = Locked(false)
        let retry: @Sendable () -> Void = { retried.withLock { $0 = true } }
        let room = open.reserve(topics[1], orRetry: retry)
        #expect(!room)
        // t0 holds nothing in flight, so it closes (on its writer queue) and hands its room on.
        let deadline = ContinuousClock.now + .seconds(30)
        while !retried.withLock({ $0 }) && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(5))
        }
        #expect(retried.withLock { $0 })
        #expect(open.count == 0)
        #expect(open.reserve(topics[1], orRetry: nil))
        #expect(!open.reserve(topics[2], orRetry: nil), "the budget is used up again")
        // That refusal asked t1 to close, which it does on its writer queue; once it has, t1 takes the room again.
        let closedBy = ContinuousClock.now + .seconds(30)
        while open.count > 0 && ContinuousClock.now < closedBy {
            try await Task.sleep(for: .milliseconds(5))
        }
        #expect(open.count == 0)
        #expect(open.reserve(topics[1], orRetry: nil))
        #expect(
            open.reserve(topics[2], overdue: true, orRetry: nil), "an overdue writer is let in up to twice the budget")
        #expect(open.count == 2)
        #expect(!open.reserve(topics[0], overdue: true, orRetry: nil), "and no further")
    }
}
