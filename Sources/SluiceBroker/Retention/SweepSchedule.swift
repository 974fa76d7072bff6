/// When each topic next needs the sweeper, and the one timer that wakes it: decisions only, no I/O.
///
/// Times are wall-clock milliseconds (record timestamps are). At most one sweep runs per topic; a request for a
/// topic being swept is kept for when it finishes. The timer is one-shot, armed for the earliest due time but no
/// further ahead than `maxIntervalMs`; with no topic waiting, none is armed.
struct SweepSchedule {
    let maxIntervalMs: Int64
    /// Topics waiting, with the time each is due.
    private(set) var due: [String: Int64] = [:]
    /// Topics being swept, with the time of a request that arrived meanwhile (if any).
    private(set) var running: [String: Int64?] = [:]
    /// The time the armed timer fires at; `nil` when none is armed.
    private(set) var timerDeadline: Int64?
    /// Tells a stale timer (one armed before a sooner one replaced it) from the current one.
    private(set) var timerGeneration = 0

    init(maxIntervalMs: Int64) {
        self.maxIntervalMs = maxIntervalMs
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
        guard let next else { return false }
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

    /// Starts every due topic that is not running, and arms the timer for the earliest of the rest.
    mutating func tick(now: Int64) -> Decision {
        var decision = Decision()
        for (topic, time) in due where time <= now && running[topic] == nil {
            decision.start.append(topic)
        }
        decision.start.sort()
        for topic in decision.start {
            due.removeValue(forKey: topic)
            running[topic] = .some(nil)
        }
        guard let earliest = due.values.min() else { return decision }
        let (latest, overflow) = now.addingReportingOverflow(maxIntervalMs)
        let deadline = overflow ? earliest : min(earliest, latest)
        if let armed = timerDeadline, armed <= deadline { return decision }
        timerDeadline = deadline
        timerGeneration += 1
        decision.arm = (max(0, deadline - now), timerGeneration)
        return decision
    }
}
