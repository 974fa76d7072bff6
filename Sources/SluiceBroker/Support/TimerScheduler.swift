import Dispatch

/// Runs work once after a delay: the seam between a timer's decisions and real time, which tests replace with
/// one they fire by hand.
///
/// The contract: `schedule` never runs `body` before it returns (an owner may call it under its lock), runs it at
/// most once, and not at all once the returned work is cancelled before it starts. A cancel that comes too late is
/// harmless only to owners that, like `CoordinatorShell`, tell a stale fire from the current one.
protocol TimerScheduler: Sendable {
    func schedule(afterMs delayMs: Int64, _ body: @escaping @Sendable () -> Void) -> any ScheduledWork
}

/// Work a `TimerScheduler` will run, until cancelled.
protocol ScheduledWork: Sendable {
    func cancel()
}

/// A `TimerScheduler` on one serial Dispatch queue.
struct DispatchTimerScheduler: TimerScheduler {
    let queue: DispatchQueue

    init(label: String) {
        queue = DispatchQueue(label: label)
    }

    func schedule(afterMs delayMs: Int64, _ body: @escaping @Sendable () -> Void) -> any ScheduledWork {
        let work = DispatchWorkItem(block: body)
        queue.asyncAfter(deadline: .now() + .milliseconds(Int(clamping: max(0, delayMs))), execute: work)
        return DispatchScheduledWork(work: work)
    }
}

/// A `DispatchWorkItem` as `ScheduledWork`.
private struct DispatchScheduledWork: ScheduledWork, @unchecked Sendable {
    // DispatchWorkItem is thread-safe (cancel may be called from any thread) but not marked Sendable on every
    // platform.
    let work: DispatchWorkItem

    func cancel() {
        work.cancel()
    }
}
