import Synchronization

/// What a `CoordinatorShell` needs of the state it guards.
protocol CoordinatorState: Sendable {
    /// Work a change hands back, done once the lock is released (resuming a held request).
    associatedtype Effect: CoordinatorEffect
    /// The earliest time anything in the state is due, in the shell's clock's milliseconds; `nil` when nothing is.
    var nextDeadline: Int64? { get }
}

/// Work done after a coordinator's lock is released.
protocol CoordinatorEffect: Sendable {
    func run()
}

extension Never: CoordinatorEffect {
    func run() {}
}

/// The frame both group coordinators run in: their state under one lock, one one-shot timer for the state's
/// earliest deadline, and the work a change hands back, done once the lock is released.
///
/// The contract:
/// - `update` runs its body under the lock, then arms, supersedes or disarms the timer for the state's
///   `nextDeadline` (see `DeadlineTimer`), releases the lock and only then runs the effects the body appended, in
///   order. No continuation is ever resumed under the lock.
/// - When the armed deadline has passed, the handler given to `onDeadline` runs, outside the lock, on the
///   scheduler's queue, with the clock's time; it changes the state through `update`, and the timer is re-armed
///   afterwards for whatever is then due. A timer that was superseded or disarmed does nothing when it goes off.
/// - Nothing is scheduled while nothing is due, so an idle coordinator costs no wake-ups.
/// - After `stop`, no timer is armed again.
final class CoordinatorShell<State: CoordinatorState>: Sendable {
    typealias DeadlineHandler = @Sendable (_ now: Int64) -> Void

    private struct Guarded {
        var state: State
        var timer = DeadlineTimer()
        var scheduled: (any ScheduledWork)?
        var onDeadline: DeadlineHandler?
    }

    private let guarded: Mutex<Guarded>
    /// The clock deadlines are read against (milliseconds, monotonic in production).
    let clock: @Sendable () -> Int64
    private let scheduler: any TimerScheduler

    init(_ state: State, clock: @escaping @Sendable () -> Int64, scheduler: any TimerScheduler) {
        guarded = Mutex(Guarded(state: state))
        self.clock = clock
        self.scheduler = scheduler
    }

    /// Sets what runs once the armed deadline has passed. Called once, before the first `update`.
    func onDeadline(_ handler: @escaping DeadlineHandler) {
        guarded.withLock { guarded in
            precondition(guarded.onDeadline == nil, "a coordinator shell has one deadline handler")
            guarded.onDeadline = handler
        }
    }

    /// Changes the state under the lock and re-arms the timer; then runs the effects `body` appended.
    func update<T>(_ body: (inout State, inout [State.Effect]) -> T) -> T {
        let (value, effects) = guarded.withLock { guarded in
            var effects: [State.Effect] = []
            let value = body(&guarded.state, &effects)
            rearm(&guarded)
            return (value, effects)
        }
        for effect in effects { effect.run() }
        return value
    }

    /// Reads the state under the lock.
    func read<T>(_ body: (State) -> T) -> T {
        guarded.withLock { body($0.state) }
    }

    /// Changes the state a last time and cancels the timer for good; then runs the effects `body` appended.
    func stop(_ body: (inout State, inout [State.Effect]) -> Void = { _, _ in }) {
        let effects = guarded.withLock { guarded in
            var effects: [State.Effect] = []
            body(&guarded.state, &effects)
            apply(guarded.timer.stop(), to: &guarded)
            return effects
        }
        for effect in effects { effect.run() }
    }

    /// The deadline the timer is armed for; `nil` when none is.
    var armedDeadline: Int64? {
        guarded.withLock { $0.timer.armed?.deadline }
    }

    // MARK: - Internals

    private func rearm(_ guarded: inout Guarded) {
        apply(guarded.timer.update(earliest: guarded.state.nextDeadline), to: &guarded)
    }

    /// Schedules or cancels, under the lock (scheduling never runs the work before it returns).
    private func apply(_ change: DeadlineTimer.Change?, to guarded: inout Guarded) {
        guard let change else { return }
        guarded.scheduled?.cancel()
        guarded.scheduled = nil
        guard case .arm(let arming) = change else { return }
        // A millisecond more, so that the deadline has passed by the clock when the timer goes off.
        let delay = max(0, arming.deadline - clock()) + 1
        guarded.scheduled = scheduler.schedule(afterMs: delay) { [weak self] in self?.fire(arming.generation) }
    }

    private func fire(_ generation: UInt64) {
        let handler = guarded.withLock { guarded -> DeadlineHandler? in
            guard guarded.timer.fired(generation) else { return nil }
            guarded.scheduled = nil
            return guarded.onDeadline
        }
        // A superseded or disarmed timer: its successor (if any) is scheduled already.
        guard let handler else { return }
        handler(clock())
        guarded.withLock { rearm(&$0) }
    }
}
