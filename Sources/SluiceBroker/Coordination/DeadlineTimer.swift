/// The decisions of the one one-shot timer kept for the earliest of many deadlines: a value kept under its
/// owner's lock, with no I/O and no clock of its own.
///
/// The contract:
/// - nothing due, no timer: `update(earliest: nil)` disarms whatever is armed;
/// - a deadline sooner than the armed one (or any, when none is armed) arms a new timer, which supersedes the old;
/// - a later one leaves the armed timer alone: it goes off early, its owner finds nothing due and arms for the later
///   deadline, one wake-up instead of a re-arm on every heartbeat that moves the earliest deadline on;
/// - every arming carries a new generation, and `fired(_:)` honours only the armed one, so a superseded or
///   disarmed timer that goes off anyway does nothing and starts no second chain of wake-ups;
/// - after `stop()` nothing is armed again.
struct DeadlineTimer: Sendable {
    /// One armed timer: when it is due, in the owner's clock's milliseconds, and the generation that tells it from
    /// the timers it superseded.
    struct Arming: Sendable, Hashable {
        var deadline: Int64
        var generation: UInt64
    }

    /// What the owner must do to its scheduled timer.
    enum Change: Sendable, Hashable {
        /// Cancel the timer scheduled (if any) and schedule this one.
        case arm(Arming)
        /// Cancel the timer scheduled; none is needed.
        case disarm
    }

    private(set) var armed: Arming?
    private(set) var isStopped = false
    private var lastGeneration: UInt64 = 0

    /// The change that keeps the timer armed for `earliest`, the owner's earliest deadline (`nil`: nothing is
    /// due); `nil` when the armed timer serves as it is.
    mutating func update(earliest: Int64?) -> Change? {
        guard !isStopped, let earliest else { return disarm() }
        if let armed, armed.deadline <= earliest { return nil }
        lastGeneration += 1
        let arming = Arming(deadline: earliest, generation: lastGeneration)
        armed = arming
        return .arm(arming)
    }

    /// The timer of `generation` went off. Whether it is the armed one; it no longer is either way.
    mutating func fired(_ generation: UInt64) -> Bool {
        guard armed?.generation == generation else { return false }
        armed = nil
        return true
    }

    /// Disarms for good: `update` arms nothing from now on.
    mutating func stop() -> Change? {
        isStopped = true
        return disarm()
    }

    private mutating func disarm() -> Change? {
        guard armed != nil else { return nil }
        armed = nil
        return .disarm
    }
}
