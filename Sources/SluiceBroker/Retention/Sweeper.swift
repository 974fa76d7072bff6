import Dispatch
import SluiceStorage
import Synchronization

/// The retention sweeper's clock and timer: wakes topics when their oldest record is due to expire, when a commit
/// took a partition over a limit, or when their settings changed, and sleeps otherwise.
///
/// It keeps no periodic timer: one one-shot timer is armed for the earliest due time across topics (no further
/// ahead than `SweeperSettings.maxIntervalMs`), and none while nothing is due. The work itself runs on each
/// topic's writer queue (`TopicHandle.sweep`), which reports back through `finished`. Decisions are made by
/// `SweepSchedule`; this class only locks, reads the clock and arms timers.
final class Sweeper: Sendable {
    let settings: SweeperSettings
    /// Wall-clock milliseconds, injectable so that tests need not wait.
    let clock: @Sendable () -> Int64
    private let schedule: Mutex<SweepSchedule>
    private let queue = DispatchQueue(label: "sluice.sweeper")
    /// Starts a sweep of the named topic; false when the topic is gone.
    private let start: @Sendable (String) -> Bool
    private let stopped = Atomic<Bool>(false)
    /// Room for sweeps to run in on a full disk; nil without one.
    let reserve: DiskReserve?

    init(
        settings: SweeperSettings, clock: @escaping @Sendable () -> Int64, reserve: DiskReserve? = nil,
        start: @escaping @Sendable (String) -> Bool
    ) {
        self.settings = settings
        self.clock = clock
        self.reserve = reserve
        self.start = start
        self.schedule = Mutex(
            SweepSchedule(maxIntervalMs: settings.maxIntervalMs, maxRunning: settings.maxConcurrentSweeps))
    }

    /// Asks for `topic` to be swept at wall-clock time `time` (ms), or earlier if already due earlier.
    func request(_ topic: String, at time: Int64) {
        if schedule.withLock({ $0.request(topic, at: time) }) { tickSoon() }
    }

    /// `request` for many topics, under one lock and with one tick (the broker asks for every topic at start-up).
    func request(_ topics: [(topic: String, time: Int64)]) {
        let tick = schedule.withLock { schedule in
            topics.reduce(false) { tick, request in schedule.request(request.topic, at: request.time) || tick }
        }
        if tick { tickSoon() }
    }

    /// A sweep of `topic` ended; it next needs one at `nextDue` (`nil`: not until a commit or change says so).
    func finished(_ topic: String, nextDue: Int64?) {
        if schedule.withLock({ $0.finished(topic, nextDue: nextDue) }) { tickSoon() }
    }

    func remove(_ topic: String) {
        schedule.withLock { $0.remove(topic) }
    }

    /// Starts no sweep from now on (sweeps under way stop at their next step, when their topic closes).
    func stop() {
        stopped.store(true, ordering: .releasing)
    }

    private func tickSoon() {
        queue.async { self.tick() }
    }

    private func tick() {
        if stopped.load(ordering: .acquiring) { return }
        let now = clock()
        let decision = schedule.withLock { $0.tick(now: now) }
        var again = false
        for topic in decision.start where !start(topic) {
            // Gone: its slot goes to a topic left waiting, if any.
            if schedule.withLock({ $0.finished(topic, nextDue: nil) }) { again = true }
        }
        if again { tickSoon() }
        if let arm = decision.arm {
            queue.asyncAfter(deadline: .now() + .milliseconds(Int(clamping: arm.delayMs))) { [weak self] in
                guard let self, self.schedule.withLock({ $0.timerFired(generation: arm.generation) }) else { return }
                self.tick()
            }
        }
    }
}
