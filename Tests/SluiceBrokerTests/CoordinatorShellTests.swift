import Synchronization
import Testing

@testable import SluiceBroker

/// The shell alone, on a toy state of named deadlines, with its clock and scheduler moved by hand.
@Suite struct CoordinatorShellTests {
    /// Deadlines by name; the deadline handler removes those that have passed.
    struct Deadlines: CoordinatorState {
        typealias Effect = Note
        var due: [String: Int64] = [:]

        var nextDeadline: Int64? { due.values.min() }
    }

    /// An effect that writes to a log the test reads.
    struct Note: CoordinatorEffect {
        let log: Log
        let line: String

        func run() { log.append(line) }
    }

    final class Log: Sendable {
        private let lines = Mutex<[String]>([])
        func append(_ line: String) { lines.withLock { $0.append(line) } }
        var all: [String] { lines.withLock { $0 } }
    }

    let timers = ManualTimers()
    let log = Log()
    let shell: CoordinatorShell<Deadlines>

    init() {
        shell = CoordinatorShell(Deadlines(), clock: timers.clock, scheduler: timers)
        let shell = self.shell
        let log = self.log
        shell.onDeadline { now in
            log.append("deadline at \(now)")
            shell.update { state, notes in
                for (name, time) in state.due where time <= now {
                    state.due[name] = nil
                    notes.append(Note(log: log, line: "expired \(name)"))
                }
            }
        }
    }

    func set(_ name: String, _ time: Int64?) {
        shell.update { state, _ in state.due[name] = time }
    }

    @Test func nothingDueSchedulesNothing() {
        shell.update { _, _ in }
        #expect(timers.scheduledCount == 0)
        set("a", 100)
        set("a", nil)
        #expect(timers.isCancelled(0), "a timer with nothing left to do is cancelled")
        #expect(timers.pending.isEmpty && shell.armedDeadline == nil)
        timers.advance(by: 1_000)
        #expect(log.all.isEmpty)
    }

    @Test func aSupersededTimerDoesNothingAndStartsNoSecondChain() {
        set("late", 100)
        set("soon", 50)
        #expect(timers.scheduledCount == 2 && timers.isCancelled(0))
        #expect(timers.pending == [51] && shell.armedDeadline == 50)

        // The superseded timer goes off anyway (its cancel came too late): nothing runs, nothing is scheduled.
        timers.runAnyway(0)
        #expect(log.all.isEmpty)
        #expect(timers.scheduledCount == 2 && timers.pending == [51])

        timers.advance(by: 51)
        #expect(log.all == ["deadline at 51", "expired soon"])
        #expect(timers.scheduledCount == 3 && timers.pending == [101])

        // Neither old timer, played again, starts a chain of its own.
        timers.runAnyway(0)
        timers.runAnyway(1)
        #expect(timers.scheduledCount == 3 && timers.pending == [101])

        timers.advance(by: 50)
        #expect(log.all == ["deadline at 51", "expired soon", "deadline at 101", "expired late"])
        #expect(timers.scheduledCount == 3 && timers.pending.isEmpty && shell.armedDeadline == nil)
        timers.advance(by: 10_000)
        #expect(log.all.count == 4, "an idle shell wakes no one")
    }

    @Test func rearmingEarlierSupersedesLaterWaitsForTheArmedTimer() {
        set("a", 100)
        // Later: the armed timer stays.
        set("a", 200)
        #expect(timers.scheduledCount == 1 && shell.armedDeadline == 100)
        // It goes off early, finds nothing due, and the shell arms for the later deadline.
        timers.advance(by: 101)
        #expect(log.all == ["deadline at 101"])
        #expect(timers.pending == [201] && shell.armedDeadline == 200)
        // Earlier: a new timer, the old one cancelled.
        set("b", 150)
        #expect(timers.isCancelled(1) && timers.pending == [151] && shell.armedDeadline == 150)
        timers.advance(by: 100)
        #expect(log.all == ["deadline at 101", "deadline at 151", "expired b", "deadline at 201", "expired a"])
        #expect(timers.pending.isEmpty)
    }

    @Test func stopCancelsTheTimerForGood() {
        set("a", 100)
        shell.stop { state, notes in
            state.due = [:]
            notes.append(Note(log: log, line: "stopped"))
        }
        #expect(log.all == ["stopped"])
        #expect(timers.isCancelled(0) && timers.pending.isEmpty && shell.armedDeadline == nil)
        set("b", 10)
        #expect(timers.scheduledCount == 1, "nothing is armed after stop")
        timers.runAnyway(0)
        timers.advance(by: 1_000)
        #expect(log.all == ["stopped"])
    }

    @Test func effectsRunInOrderOnceTheChangeIsMade() {
        let value = shell.update { state, notes in
            state.due["a"] = 5
            notes.append(Note(log: log, line: "one"))
            notes.append(Note(log: log, line: "two"))
            return 42
        }
        #expect(value == 42)
        #expect(log.all == ["one", "two"])
        #expect(shell.read { $0.due } == ["a": 5])
    }
}
