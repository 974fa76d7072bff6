import Synchronization

@testable import SluiceBroker

/// A clock and a `TimerScheduler` the test moves by hand: scheduled work runs only when `advance` passes its time
/// (or when `runAnyway` plays a fire that a cancel came too late for), so no test sleeps on real time.
final class ManualTimers: TimerScheduler {
    private struct Entry {
        var due: Int64
        var body: @Sendable () -> Void
        var cancelled = false
        var ran = false
    }

    private struct State {
        var now: Int64
        var entries: [Entry] = []
    }

    private let state: Mutex<State>

    init(now: Int64 = 0) {
        state = Mutex(State(now: now))
    }

    var now: Int64 { state.withLock { $0.now } }

    var clock: @Sendable () -> Int64 { { self.now } }

    /// Everything ever scheduled, in order, cancelled or not.
    var scheduledCount: Int { state.withLock { $0.entries.count } }

    /// The times pending work is due at (scheduled, not cancelled, not yet run), soonest first.
    var pending: [Int64] {
        state.withLock { $0.entries.filter { !$0.cancelled && !$0.ran }.map(\.due).sorted() }
    }

    /// Whether the `index`th work scheduled was cancelled.
    func isCancelled(_ index: Int) -> Bool {
        state.withLock { $0.entries[index].cancelled }
    }

    func schedule(afterMs delayMs: Int64, _ body: @escaping @Sendable () -> Void) -> any ScheduledWork {
        let index = state.withLock { state in
            state.entries.append(Entry(due: state.now + delayMs, body: body))
            return state.entries.count - 1
        }
        return Work(timers: self, index: index)
    }

    /// Moves the clock on by `delta` ms, running each pending work due by then (and work it schedules that is
    /// due by then too), soonest first, outside this object's lock.
    func advance(by delta: Int64) {
        let target = state.withLock { $0.now + delta }
        while true {
            let next = state.withLock { state -> (@Sendable () -> Void)? in
                let due = state.entries.indices.filter {
                    !state.entries[$0].cancelled && !state.entries[$0].ran && state.entries[$0].due <= target
                }
                guard let index = due.min(by: { state.entries[$0].due < state.entries[$1].due }) else {
                    state.now = target
                    return nil
                }
                state.now = max(state.now, state.entries[index].due)
                state.entries[index].ran = true
                return state.entries[index].body
            }
            guard let next else { return }
            next()
        }
    }

    /// Runs the `index`th work scheduled even if it was cancelled or ran: a timer that went off as it was
    /// superseded.
    func runAnyway(_ index: Int) {
        let body = state.withLock { $0.entries[index].body }
        body()
    }

    private struct Work: ScheduledWork {
        let timers: ManualTimers
        let index: Int

        func cancel() {
            timers.state.withLock { $0.entries[index].cancelled = true }
        }
    }
}
