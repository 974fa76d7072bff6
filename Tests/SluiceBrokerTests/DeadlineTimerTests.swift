import Testing

@testable import SluiceBroker

/// The one timer's decisions, alone: when to arm, supersede or disarm, and which fire to honour.
@Suite struct DeadlineTimerTests {
    typealias Arming = DeadlineTimer.Arming

    @Test func nothingDueArmsNothing() {
        var timer = DeadlineTimer()
        let change = timer.update(earliest: nil)
        #expect(change == nil)
        #expect(timer.armed == nil)
    }

    @Test func aSoonerDeadlineSupersedesAndTheSupersededFireIsRefused() {
        var timer = DeadlineTimer()
        let changes = [timer.update(earliest: 100), timer.update(earliest: 100), timer.update(earliest: 50)]
        #expect(
            changes == [.arm(Arming(deadline: 100, generation: 1)), nil, .arm(Arming(deadline: 50, generation: 2))])
        let superseded = timer.fired(1)
        #expect(!superseded)
        #expect(timer.armed == Arming(deadline: 50, generation: 2))
        let current = timer.fired(2)
        #expect(current)
        #expect(timer.armed == nil)
        // A timer fires once; an old one, played again, is refused again.
        let again = [timer.fired(2), timer.fired(1)]
        #expect(again == [false, false])
    }

    @Test func aLaterDeadlineKeepsTheArmedTimerUntilItFires() {
        var timer = DeadlineTimer()
        let changes = [timer.update(earliest: 100), timer.update(earliest: 200)]
        #expect(changes == [.arm(Arming(deadline: 100, generation: 1)), nil])
        let fired = timer.fired(1)
        #expect(fired)
        let next = timer.update(earliest: 200)
        #expect(next == .arm(Arming(deadline: 200, generation: 2)))
    }

    @Test func nothingLeftDueDisarms() {
        var timer = DeadlineTimer()
        let changes = [timer.update(earliest: 100), timer.update(earliest: nil), timer.update(earliest: nil)]
        #expect(changes == [.arm(Arming(deadline: 100, generation: 1)), .disarm, nil])
        let disarmed = timer.fired(1)
        #expect(!disarmed)
        let next = timer.update(earliest: 300)
        #expect(next == .arm(Arming(deadline: 300, generation: 2)))
    }

    @Test func stoppingDisarmsForGood() {
        var timer = DeadlineTimer()
        _ = timer.update(earliest: 100)
        let stop = timer.stop()
        #expect(stop == .disarm)
        #expect(timer.isStopped)
        let late = (fired: timer.fired(1), update: timer.update(earliest: 10), stopAgain: timer.stop())
        #expect(!late.fired && late.update == nil && late.stopAgain == nil)
        #expect(timer.armed == nil)
    }
}
