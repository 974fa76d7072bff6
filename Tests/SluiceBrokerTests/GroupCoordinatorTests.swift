import Foundation
import Logging
import SluiceCore
import Testing

@testable import SluiceBroker

/// The native group coordinator with its clock and timers moved by hand: session expiry without real time.
@Suite struct GroupCoordinatorTests {
    let timers = ManualTimers()
    let coordinator: GroupCoordinator

    init() {
        coordinator = GroupCoordinator(logger: Logger(label: "test"), clock: timers.clock, scheduler: timers) {
            topics in
            Dictionary(uniqueKeysWithValues: topics.filter { $0 == "t" }.map { ($0, 4) })
        }
    }

    func join(_ group: String, session: Int32) throws -> GroupAssignment {
        try coordinator.join(group: group, memberID: "", clientID: "c", topics: ["t"], sessionTimeoutMs: session)
    }

    @Test func aSupersededExpiryTimerStartsNoSecondChain() throws {
        let slow = try join("slow", session: 5_000)
        #expect(timers.pending == [5_001])
        let fast = try join("fast", session: 1_000)
        #expect(timers.isCancelled(0) && timers.pending == [1_001])

        // The superseded timer fires anyway: nobody expires early, no second timer appears.
        timers.runAnyway(0)
        #expect(coordinator.hasMembers("fast") && coordinator.hasMembers("slow"))
        #expect(timers.scheduledCount == 2 && timers.pending == [1_001])

        timers.advance(by: 1_001)
        #expect(!coordinator.hasMembers("fast") && coordinator.hasMembers("slow"))
        #expect(timers.pending == [5_001])
        #expect(throws: SluiceError.self) {
            try coordinator.heartbeat(group: "fast", memberID: fast.memberID, generation: fast.generation, owned: [])
        }

        // A heartbeat moves the deadline on; the armed timer goes off at the old one and re-arms once.
        _ = try coordinator.heartbeat(group: "slow", memberID: slow.memberID, generation: slow.generation, owned: [])
        #expect(timers.pending == [5_001])
        timers.advance(by: 4_000)
        #expect(coordinator.hasMembers("slow") && timers.pending == [6_002])
        timers.advance(by: 1_001)
        #expect(!coordinator.hasMembers("slow"))
        #expect(timers.pending.isEmpty && timers.scheduledCount == 4)
    }

    @Test func leavingDisarmsAndStopCancelsForGood() throws {
        let member = try join("g", session: 1_000)
        coordinator.leave(group: "g", memberID: member.memberID)
        #expect(timers.isCancelled(0) && timers.pending.isEmpty, "no members, no timer")

        _ = try join("g", session: 1_000)
        #expect(timers.pending == [1_001])
        coordinator.stop()
        #expect(timers.isCancelled(1) && timers.pending.isEmpty)
        _ = try join("h", session: 1_000)
        #expect(timers.scheduledCount == 2)
    }

    @Test func theBrokerHandsItsClocksToBothCoordinators() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "sluice-clocks-\(UUID().uuidString)"
        ).path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let broker = try Broker(dataDirectory: directory, wallClock: { 1_700_000_000_000 }, monotonicClock: { 42 })
        #expect(broker.clocks.wall() == 1_700_000_000_000)
        #expect(broker.groups.clock() == 42 && broker.classicGroups.clock() == 42)
        await broker.shutdown()
    }
}
