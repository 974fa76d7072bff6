import Dispatch
import SluiceCore

/// What a `RetentionSweep` runs against: a topic writer's serial queue and what the sweep needs to know of the topic.
///
/// Conformers supply these; `runSweep(_:)` is the one loop that steps and paces a sweep (the broker's topics and
/// the retention bench both run it). Every requirement is used on `writerQueue` only.
package protocol SweepHost: AnyObject, Sendable {
    /// The writer's serial queue: every step is one item on it, between appends.
    var writerQueue: DispatchQueue { get }
    /// The topic's writer.
    var sweepWriter: TopicWriter { get }
    /// The topic's settings now (a step reads them, so a tightened limit applies at once).
    var sweepConfig: TopicConfig { get }
    /// No append is waiting for the writer or being committed.
    var isWriterIdle: Bool { get }
    /// The sweep stops where it is (the topic is closing).
    var sweepCancelled: Bool { get }
    /// After each step, the last one (`.finished`) included; `took` is how long it held the writer.
    func sweepStepped(_ step: RetentionSweep.Step?, outcome: RetentionSweep.Outcome, took: Duration)
    /// The sweep finished; `started` is when its first step ran.
    func sweepFinished(_ sweep: RetentionSweep, started: ContinuousClock.Instant) throws(SluiceError)
    /// A step (or `sweepFinished`) threw. Returns true to run the same step again, `attempt` being the sweep as
    /// it was before it; false ends the sweep.
    func sweepFailed(_ attempt: RetentionSweep, error: SluiceError) -> Bool
}

extension SweepHost {
    /// Runs `sweep` on the writer queue, one bounded step per turn, so that an append queued behind it waits for one
    /// step at most. Between steps the sweep's own pacing (`delayBeforeNextStep`) decides: the next step at once
    /// while the writer is idle, otherwise a look again later, behind the appends that keep it busy.
    package func runSweep(_ sweep: RetentionSweep) {
        writerQueue.async { self.sweepStep(sweep, started: .now) }
    }

    private func sweepStep(_ sweep: RetentionSweep, started: ContinuousClock.Instant) {
        if sweepCancelled { return }
        let attempt = sweep
        var sweep = sweep
        let step = sweep.currentStep
        let stepStarted = ContinuousClock.now
        do throws(SluiceError) {
            let outcome = try sweep.step(sweepWriter, config: sweepConfig, writerIsIdle: isWriterIdle)
            sweepStepped(step, outcome: outcome, took: stepStarted.duration(to: .now))
            if outcome == .finished {
                try sweepFinished(sweep, started: started)
                return
            }
        } catch {
            if sweepFailed(attempt, error: error) {
                writerQueue.async { self.sweepStep(attempt, started: started) }
            }
            return
        }
        pace(sweep, started: started)
    }

    private func pace(_ sweep: RetentionSweep, started: ContinuousClock.Instant) {
        if sweepCancelled { return }
        var sweep = sweep
        let delay = sweep.delayBeforeNextStep(writerIsIdle: isWriterIdle, lastAppend: sweepWriter.lastAppendEnded)
        let next = sweep
        if let delay {
            let (seconds, attoseconds) = delay.components
            let nanos = Int(seconds) * 1_000_000_000 + Int(attoseconds / 1_000_000_000)
            writerQueue.asyncAfter(deadline: .now() + .nanoseconds(nanos)) { self.pace(next, started: started) }
        } else {
            writerQueue.async { self.sweepStep(next, started: started) }
        }
    }
}
