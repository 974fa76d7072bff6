import Logging
import SluiceCore
import Testing

@testable import SluiceBroker

/// Held heartbeats (heartbeat v1, a long poll), with the clock and timers moved by hand.
@Suite struct HeldHeartbeatTests {
    let timers = ManualTimers()
    let coordinator: GroupCoordinator

    init() {
        coordinator = GroupCoordinator(logger: Logger(label: "test"), clock: timers.clock, scheduler: timers) {
            topics in
            Dictionary(uniqueKeysWithValues: topics.filter { $0 == "t" }.map { ($0, 4) })
        }
    }

    /// The answers one heartbeat got (at most one, if all is well).
    final class Answers: Sendable {
        let results = Locked<[Result<GroupAssignment, SluiceError>]>([])
        var all: [Result<GroupAssignment, SluiceError>] { results.withLock { $0 } }
        var assignment: GroupAssignment? { if case .success(let answer) = all.first { answer } else { nil } }
        var error: SluiceError? { if case .failure(let error) = all.first { error } else { nil } }
    }

    func join(session: Int32 = 9_000) throws -> GroupAssignment {
        try coordinator.join(group: "g", memberID: "", clientID: "c", topics: ["t"], sessionTimeoutMs: session)
    }

    func heartbeat(_ member: GroupAssignment, owned: [TopicPartition]? = nil, maxWaitMs: Int32 = 2_000) -> Answers {
        let answers = Answers()
        coordinator.heartbeat(
            group: "g", memberID: member.memberID, generation: member.generation,
            owned: owned ?? member.granted, maxWaitMs: maxWaitMs
        ) { result in
            answers.results.withLock { $0.append(result) }
        }
        return answers
    }

    @Test func aHeartbeatWithNothingNewIsHeldUntilItsWaitIsOver() throws {
        let member = try join()
        let held = heartbeat(member)
        #expect(held.all.isEmpty && coordinator.heldCount == 1)
        #expect(timers.pending == [2_001], "the hold's deadline is the earliest")
        timers.advance(by: 1_999)
        #expect(held.all.isEmpty)
        timers.advance(by: 2)
        #expect(held.assignment == member && coordinator.heldCount == 0)
        #expect(timers.pending == [9_001], "then the session deadline, measured from the heartbeat's arrival")
    }

    @Test func aHoldIsCutToAThirdOfTheSession() throws {
        let member = try join(session: 3_000)
        let held = heartbeat(member, maxWaitMs: 60_000)
        #expect(held.all.isEmpty && timers.pending == [1_001])
        timers.advance(by: 1_001)
        #expect(held.assignment == member && coordinator.hasMembers("g"))
    }

    @Test func noWaitOrNewsIsAnsweredAtOnce() throws {
        let member = try join()
        #expect(heartbeat(member, maxWaitMs: 0).assignment == member)
        #expect(coordinator.heldCount == 0)
        // An answer that differs from the member's last one (a new generation) is not held.
        let other = try join()
        var atNewGeneration = member
        atNewGeneration.generation = other.generation
        let news = heartbeat(atNewGeneration)
        #expect(news.assignment?.generation == other.generation && coordinator.heldCount == 0)
    }

    @Test func aJoinAnswersTheHeldHeartbeatsAndARelease() throws {
        let a = try join()
        #expect(a.granted.count == 4)
        let heldA = heartbeat(a)
        let b = try join()
        // A learns of the new generation at once: two of its partitions are revoked.
        let news = try #require(heldA.assignment)
        #expect(news.generation == b.generation && news.granted.count == 2 && news.pending.isEmpty)
        #expect(b.granted.isEmpty && b.pending.count == 2)
        let heldB = heartbeat(b)
        #expect(heldB.all.isEmpty)
        // A releases the two: B's held heartbeat is answered with them granted.
        let heldAgain = heartbeat(news)
        #expect(heldAgain.all.isEmpty, "A has nothing new to hear")
        let grantedB = try #require(heldB.assignment)
        #expect(grantedB.granted == b.pending && grantedB.pending.isEmpty)
        #expect(coordinator.heldCount == 1)
    }

    @Test func aSecondHeartbeatAnswersTheFirst() throws {
        let member = try join()
        let first = heartbeat(member)
        let second = heartbeat(member)
        #expect(first.assignment == member && second.all.isEmpty && coordinator.heldCount == 1)
    }

    @Test func aMemberThatLeavesHasItsHeldHeartbeatRefused() throws {
        _ = try join()
        let b = try join()
        let heldB = heartbeat(b, owned: [])
        #expect(heldB.all.isEmpty)
        coordinator.leave(group: "g", memberID: b.memberID)
        #expect(heldB.error?.code == .unknownMember)
    }

    @Test func stopAnswersHeldHeartbeats() throws {
        let member = try join()
        let held = heartbeat(member)
        coordinator.stop()
        #expect(held.assignment == member && timers.pending.isEmpty)
        #expect(heartbeat(member).assignment == member, "nothing is held once stopped: no timer would end it")
    }
}
