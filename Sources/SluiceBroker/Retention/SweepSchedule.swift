/// When each topic next needs the sweeper, and the one timer that wakes it: decisions only, no I/O.
///
/// Times are wall-clock milliseconds (record timestamps are). At most one sweep runs per topic; a request for a
/// topic being swept is kept for when it finishes. The timer is one-shot, armed for the earliest due time but no
/// further ahead than `maxIntervalMs`; with no topic waiting, none is armed. At most `maxRunning` sweeps run at
/// once (each holds its topic open): due topics beyond that wait, earliest due first, for a running sweep to end.
struct SweepSchedule {
    let maxIntervalMs: Int64
    let maxRunning: Int
    /// Due topics were left waiting for a sweep to end (the next `finished` asks for a tick).
    private(set) var held = false
    /// Topics waiting, with the time each is due.
    private(set) var due: [String: Int64] = [:]
    /// Topics being swept, with the time of a request that arrived meanwhile (if any).
    private(set) var running: [String: Int64?] = [:]
    /// The time the armed timer fires at; `nil` when none is armed.
    private(set) var timerDeadline: Int64?
    /// Tells a stale timer (one armed before a sooner one replaced it) from the current one.
    private(set) var timerGeneration = 0

    init(maxIntervalMs: Int64, maxRunning: Int = .max) {
        precondition(maxRunning > 0, "at least one sweep must be allowed to run")
        self.maxIntervalMs = maxIntervalMs
        self.maxRunning = maxRunning
    }

    /// What the sweeper should do now.
    struct Decision: Equatable {
        /// Topics to start sweeping.
        var start: [String] = []
        /// Arm the timer to fire after this many milliseconds, tagged with this generation.
        var arm: (delayMs: Int64, generation: Int)?

        static func == (lhs: Decision, rhs: Decision) -> Bool {
            lhs.start == rhs.start && lhs.arm?.delayMs == rhs.arm?.delayMs && lhs.arm?.generation == rhs.arm?.generation
        }
    }

    /// Asks for `topic` to be swept at `time` (or earlier, if it already waits for an earlier time). Returns
    /// whether the sweeper should `tick` (the timer would fire too late for it).
    mutating func request(_ topic: String, at time: Int64) -> Bool {
        if let rerun = running[topic] {
            running[topic] = min(rerun ?? time, time)
            return false
        }
        due[topic] = min(due[topic] ?? time, time)
        guard let deadline = timerDeadline else { return true }
        return time < deadline
    }

    /// Records that a sweep of `topic` ended and when it next needs one (`nil`: not until something changes).
    /// Returns whether the sweeper should `tick`.
    mutating func finished(_ topic: String, nextDue: Int64?) -> Bool {
        guard let rerun = running.removeValue(forKey: topic) else { return false }
        let next = [nextDue, rerun].compactMap { $0 }.min()
        guard let next else { return held }
        due[topic] = min(due[topic] ?? next, next)
        return true
    }

    /// Forgets a topic (it was deleted).
    mutating func remove(_ topic: String) {
        due.removeValue(forKey: topic)
        running.removeValue(forKey: topic)
    }

    /// The timer of `generation` fired. Returns whether it is the current one (a stale one should do nothing).
    mutating func timerFired(generation: Int) -> Bool {
        guard generation == timerGeneration, timerDeadline != nil else { return false }
        timerDeadline = nil
        return true
    }

    /// Starts every due topic that is not running (the earliest due, as many as `maxRunning` allows), and arms the
    /// timer for the earliest of the rest that are not due yet.
    mutating func tick(now: Int64) -> Decision {
        var decision = Decision()
        let slots = maxRunning - running.count
        // The `slots` earliest due: a pass that keeps a short sorted list, since thousands may be due at once.
        var chosen: [(time: Int64, topic: String)] = []
        var waiting = 0
        var earliestLater: Int64?
        for (topic, time) in due where running[topic] == nil {
            if time > now {
                earliestLater = min(earliestLater ?? time, time)
                continue
            }
            waiting += 1
            guard slots > 0 else { continue }
            if chosen.count == slots, let last = chosen.last, (last.time, last.topic) < (time, topic) { continue }
            let at = chosen.firstIndex { ($0.time, $0.topic) > (time, topic) } ?? chosen.count
            chosen.insert((time, topic), at: at)
            if chosen.count > slots { chosen.removeLast() }
        }
        held = waiting > chosen.count
        decision.start = chosen.map(\.topic).sorted()
        for topic in decision.start {
            due.removeValue(forKey: topic)
            running[topic] = .some(nil)
        }
        // Due topics left waiting start when a sweep ends (`finished`), not by the timer.
        guard let earliest = earliestLater else { return decision }
        let (latest, overflow) = now.addingReportingOverflow(maxIntervalMs)
        let deadline = overflow ? earliest : min(earliest, latest)
        if let armed = timerDeadline, armed <= deadline { return decision }
        timerDeadline = deadline
        timerGeneration += 1
        decision.arm = (max(0, deadline - now), timerGeneration)
        return decision
    }
}
