import Logging
import SluiceCore
import Testing

@testable import SluiceBroker

/// The classic group coordinator's one timer, with its clock and scheduler moved by hand: held joins are
/// answered when the test says time has passed, not when real time has.
@Suite struct ClassicGroupCoordinatorTimerTests {
    let timers = ManualTimers()

    func coordinator(initialDelayMs: Int64 = 50) -> ClassicGroupCoordinator {
        ClassicGroupCoordinator(
            settings: ClassicGroupSettings(
                initialRebalanceDelayMs: initialDelayMs, minSessionTimeoutMs: 10,
                maxSessionTimeoutMs: 60_000),
            logger: Logger(label: "test"), clock: timers.clock, scheduler: timers)
    }

    /// Waits (a few ms of real time at a time) until the held join has reached the group.
    func waitForRebalance(_ coordinator: ClassicGroupCoordinator) async {
        while coordinator.describe("g")?.state != "PreparingRebalance" { try? await Task.sleep(for: .milliseconds(2)) }
    }

    @Test func aHeldJoinIsAnsweredByTheTimerAndASupersededOneDoesNothing() async {
        let coordinator = coordinator()
        let held = Task {
            await ClassicGroupCoordinatorTests.joinWithHandshake(coordinator, group: "g", client: "one", session: 100)
        }
        await waitForRebalance(coordinator)
        // The pending member id's timer (due at its session timeout) was superseded by the initial delay's.
        #expect(timers.scheduledCount == 2 && timers.isCancelled(0) && timers.pending == [51])
        timers.runAnyway(0)
        #expect(coordinator.describe("g")?.state == "PreparingRebalance")
        #expect(timers.scheduledCount == 2 && timers.pending == [51])

        timers.advance(by: 51)
        let answer = await held.value
        #expect(answer.error == .none && answer.generation == 1)
        #expect(timers.pending.count == 1, "one timer, for the member's session")

        // Nothing heartbeats: the session runs out and the group goes, leaving no timer behind.
        timers.advance(by: 200)
        #expect(!coordinator.holds("g"))
        #expect(timers.pending.isEmpty)
    }

    @Test func stopAnswersHeldJoinsAndCancelsTheTimer() async {
        let coordinator = coordinator(initialDelayMs: 60_000)
        let held = Task { await ClassicGroupCoordinatorTests.joinWithHandshake(coordinator, group: "g", client: "one") }
        await waitForRebalance(coordinator)
        #expect(timers.pending.count == 1)
        coordinator.stop()
        #expect(await held.value.error == .coordinatorNotAvailable)
        #expect(timers.pending.isEmpty)
        let late = await coordinator.join(ClassicGroupCoordinatorTests.request("g", memberID: "", client: "two"))
        #expect(late.error == .coordinatorNotAvailable)
        #expect(timers.pending.isEmpty)
    }
}
