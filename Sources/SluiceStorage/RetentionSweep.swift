import SluiceCore

/// One sweep of a topic database, as steps small enough to interleave with appends: per partition, compaction
/// passes and tombstone removal (under `compact`), then retention cuts (under `delete`); then free pages go back
/// to the file system; then, if the writer is idle, the WAL is checkpointed and truncated.
///
/// The writer's owner calls `step` on the writer's thread until it returns `.finished`, and between steps asks
/// `delayBeforeNextStep` how long to let appends go first. Steps are sized to a time budget: each kind measures
/// its cost per record (or page) and the next takes what fits. While the writer is idle, steps run back to back
/// within `idleStepBudget`, so an append that arrives meanwhile waits about that long at most; while appends keep
/// it busy, one step of up to `busyStepBudget` runs every `busyStepInterval`, so few appends wait at all and the
/// sweep still makes progress; a sweep that appends hold back for long shortens that interval (by half after five
/// minutes, down to an eighth), so that retention catches up with any load. Giving space back waits for an idle
/// writer (appends reuse free pages anyway); a
/// sweep that found none leaves `spaceLeftToReclaim` set. Every policy is judged at the sweep's `now`; settings
/// are read at every step.
package struct RetentionSweep: Sendable {
    /// How steps are sized and paced.
    package struct Settings: Sendable, Hashable {
        /// Most records deleted, or examined by compaction, in one step. 10,000.
        package var maxRecordsPerStep: Int
        /// Most pages given back to the file system in one step. 2,048 (8 MiB of 4 KiB pages).
        package var maxPagesPerStep: Int
        /// How long one step may hold the writer while it is idle: an append arriving meanwhile waits about this
        /// long at most. 500 µs.
        package var idleStepBudget: Duration
        /// How long one step may hold the writer while appends keep it busy. 10 ms.
        package var busyStepBudget: Duration
        /// While appends keep the writer busy (one waiting, or one ended less than `idleGap` ago), one step per this
        /// interval: few appends wait behind a step (one in several hundred under a saturating producer), and the
        /// sweep still moves. A sweep that runs long gets steps more often (twice as often after five minutes, up
        /// to eight times), so that retention keeps up with any load. 250 ms.
        package var busyStepInterval: Duration
        /// The writer counts as idle once no append is waiting and none ended for this long. 1 ms.
        package var idleGap: Duration
        /// Free pages kept for appends to reuse rather than given back: this many bytes' worth, or an eighth of the
        /// pages in use if that is more. Keeps a partition that deletes as fast as it appends from moving pages back
        /// and forth. 4 MiB.
        package var freeSpaceReserveBytes: Int64

        package init(
            maxRecordsPerStep: Int = 10_000, maxPagesPerStep: Int = 2_048,
            idleStepBudget: Duration = .microseconds(500), busyStepBudget: Duration = .milliseconds(10),
            busyStepInterval: Duration = .milliseconds(250), idleGap: Duration = .milliseconds(1),
            freeSpaceReserveBytes: Int64 = 4 << 20
        ) {
            precondition(maxRecordsPerStep > 0 && maxPagesPerStep > 0, "step limits must be positive")
            self.maxRecordsPerStep = maxRecordsPerStep
            self.maxPagesPerStep = maxPagesPerStep
            self.idleStepBudget = idleStepBudget
            self.busyStepBudget = busyStepBudget
            self.busyStepInterval = busyStepInterval
            self.idleGap = idleGap
            self.freeSpaceReserveBytes = freeSpaceReserveBytes
        }
    }

    package enum Step: Equatable, Sendable {
        case compact(partition: Int32)
        case removeTombstones(partition: Int32)
        case truncate(partition: Int32)
        case reclaimSpace
        case checkpoint
    }

    /// What a step did that the owner must know.
    package enum Outcome: Equatable, Sendable {
        case progressed
        /// Records went and the partition's log-start offset rose (publish it to fetches).
        case logStartRaised(partition: Int32, offset: Int64)
        /// Nothing is left to do.
        case finished
    }

    /// The wall-clock time (ms) every policy is judged at.
    package let now: Int64
    package let settings: Settings
    private let steps: [Step]
    private var index = 0
    private var recordCost = CostEstimate()
    private var pageCost = CostEstimate()
    private var lastStepEnded: ContinuousClock.Instant?
    private var firstStepStarted: ContinuousClock.Instant?
    /// Each partition's next offset when the sweep first reached it: the sweep goes no further, so that appends
    /// arriving meanwhile cannot keep it going for ever (they make the topic due again instead).
    private var horizons: [Int32: Int64] = [:]
    /// Whether the next step gets the busy budget.
    private var busy = false

    package private(set) var deletedRecords = 0
    package private(set) var deletedBytes: Int64 = 0
    package private(set) var reclaimedPages: Int64 = 0
    package private(set) var stepCount = 0
    /// Free space above the reserve was left in place because appends kept the writer busy.
    package private(set) var spaceLeftToReclaim = false

    package init(policy: CleanupPolicy, partitions: Int32, now: Int64, settings: Settings = Settings()) {
        self.now = now
        self.settings = settings
        var steps: [Step] = []
        for partition in 0..<max(0, partitions) {
            if policy.contains(.compact) {
                steps.append(.compact(partition: partition))
                steps.append(.removeTombstones(partition: partition))
            }
            if policy.contains(.delete) { steps.append(.truncate(partition: partition)) }
        }
        steps.append(.reclaimSpace)
        steps.append(.checkpoint)
        self.steps = steps
    }

    /// The step `step` performs next; `nil` once finished.
    package var currentStep: Step? { index < steps.count ? steps[index] : nil }

    /// How long to let appends go before the next step; `nil` to run it now.
    package mutating func delayBeforeNextStep(
        writerIsIdle: Bool, lastAppend: ContinuousClock.Instant?,
        now: ContinuousClock.Instant = .now
    ) -> Duration? {
        let idleFor = lastAppend.map { $0.duration(to: now) }
        let idle = writerIsIdle && (idleFor.map { $0 >= settings.idleGap } ?? true)
        if idle {
            busy = false
            return nil
        }
        guard let lastStepEnded else {
            busy = true
            return nil
        }
        let sinceStep = lastStepEnded.duration(to: now)
        let interval = busyInterval(now: now)
        if sinceStep >= interval {
            busy = true
            return nil
        }
        // Look again when the writer may have gone idle, or when the interval is up.
        let untilIdle = writerIsIdle ? settings.idleGap - (idleFor ?? .zero) : settings.idleGap
        return max(.microseconds(50), min(interval - sinceStep, untilIdle))
    }

    /// The busy interval, shortened as the sweep drags on: `busyStepInterval / (1 + running / 5 minutes)`, at
    /// least an eighth of it.
    func busyInterval(now: ContinuousClock.Instant) -> Duration {
        let running = firstStepStarted.map { $0.duration(to: now) } ?? .zero
        let (seconds, _) = running.components
        let factor = min(8.0, 1.0 + Double(seconds) / 300.0)
        return settings.busyStepInterval / factor
    }

    /// Performs the next step (or the part of it that fits the budget) with `writer`, under `config` as it is now.
    package mutating func step(_ writer: TopicWriter, config: TopicConfig, writerIsIdle: Bool) throws(SluiceError)
        -> Outcome
    {
        guard let step = currentStep else { return .finished }
        let started = ContinuousClock.now
        if firstStepStarted == nil { firstStepStarted = started }
        let budget = busy ? settings.busyStepBudget : settings.idleStepBudget
        let records = recordCost.units(for: budget, initial: 128, maximum: settings.maxRecordsPerStep)
        let compacting = config.cleanupPolicy.contains(.compact)
        var more = false
        var outcome = Outcome.progressed
        switch step {
        case .compact(let partition):
            guard compacting else { break }
            let result = try writer.compact(
                partition: partition, maxRecords: records,
                before: try horizon(partition, writer))
            record(records: result.deletedRecords, bytes: result.deletedBytes)
            recordCost.add(units: Int(result.examinedOffsets), took: started.duration(to: .now))
            more = result.hasMore
        case .removeTombstones(let partition):
            guard compacting else { break }
            let cutoff = now.subtractingReportingOverflow(config.deleteRetentionMs)
            let result = try writer.removeTombstones(
                partition: partition, olderThan: cutoff.overflow ? .min : cutoff.partialValue, maxRecords: records)
            record(records: result.deletedRecords, bytes: result.deletedBytes)
            recordCost.add(units: result.deletedRecords, took: started.duration(to: .now))
            more = result.hasMore
        case .truncate(let partition):
            let cut = min(
                try horizon(partition, writer),
                try writer.retentionCut(partition: partition, config: config, now: now, scanLimit: records))
            guard cut > (try writer.status(partition: partition)).logStartOffset else { break }
            let result = try writer.truncate(partition: partition, before: cut, maxRecords: records)
            record(records: result.deletedRecords, bytes: result.deletedBytes)
            recordCost.add(units: result.deletedRecords, took: started.duration(to: .now))
            outcome = .logStartRaised(partition: partition, offset: result.logStartOffset)
            // Plan again next step: the size walk is bounded, and appends may have come in between.
            more = true
        case .reclaimSpace:
            let usage = try writer.spaceUsage()
            let reserve = max(settings.freeSpaceReserveBytes / max(usage.pageSize, 1), usage.usedPages / 8)
            guard usage.canReclaim, usage.freePages > reserve else { break }
            if busy {
                // Moving pages while appends keep coming only costs them time: they reuse free pages anyway.
                spaceLeftToReclaim = true
                break
            }
            let pages = pageCost.units(for: budget, initial: 32, maximum: settings.maxPagesPerStep)
            let freed: Int64
            do throws(SluiceError) {
                freed = try writer.reclaimSpace(maxPages: Int(min(Int64(pages), usage.freePages - reserve)))
            } catch  where error.code == .diskFull {
                // Moving pages writes them to the WAL, which a full disk cannot grow. The deletions stand (appends
                // reuse their pages); the checkpoint below empties the WAL, and a later sweep gives the space back.
                spaceLeftToReclaim = true
                break
            }
            reclaimedPages += freed
            pageCost.add(units: Int(freed), took: started.duration(to: .now))
            more = freed > 0 && usage.freePages - freed > reserve
        case .checkpoint:
            // Only when idle: an append waiting behind a checkpoint would wait for the whole WAL to be copied.
            // Under load, SQLite's own checkpoints and the journal size limit keep the WAL bounded.
            if deletedRecords > 0 || reclaimedPages > 0, writerIsIdle {
                try writer.checkpoint(waitingAtMost: 100)
            }
        }
        if !more { index += 1 }
        stepCount += 1
        lastStepEnded = .now
        return outcome
    }

    private mutating func horizon(_ partition: Int32, _ writer: TopicWriter) throws(SluiceError) -> Int64 {
        if let horizon = horizons[partition] { return horizon }
        let horizon = try writer.status(partition: partition).nextOffset
        horizons[partition] = horizon
        return horizon
    }

    private mutating func record(records: Int, bytes: Int64) {
        deletedRecords += records
        deletedBytes += bytes
    }
}

/// A running estimate of what one unit of work (a record, a page) costs, to size the next step to a budget.
struct CostEstimate: Sendable {
    private(set) var nanosPerUnit: Double?

    mutating func add(units: Int, took: Duration) {
        guard units > 0 else { return }
        let (seconds, attoseconds) = took.components
        let sample = (Double(seconds) * 1e9 + Double(attoseconds) / 1e9) / Double(units)
        nanosPerUnit = nanosPerUnit.map { 0.7 * $0 + 0.3 * sample } ?? sample
    }

    /// Units that fit `budget`: `initial` until something was measured, never more than `maximum` or fewer than
    /// 16 (so that a slow step still makes progress).
    func units(for budget: Duration, initial: Int, maximum: Int) -> Int {
        guard let nanosPerUnit, nanosPerUnit > 0 else { return min(initial, maximum) }
        let (seconds, attoseconds) = budget.components
        let nanos = Double(seconds) * 1e9 + Double(attoseconds) / 1e9
        return max(min(16, maximum), min(maximum, Int(nanos / nanosPerUnit)))
    }
}
