import SluiceStorage

/// How the retention sweeper paces itself. The defaults suit a small appliance; tests shorten the intervals.
package struct SweeperSettings: Sendable, Hashable {
    /// The longest the sweeper sleeps while any topic has something it will one day delete, so that a jump of the
    /// wall clock (an appliance that boots before its clock is set) is noticed within this time. 5 minutes.
    package var maxIntervalMs: Int64
    /// Most records deleted, or examined by compaction, in one turn of a topic's writer queue. 10,000.
    package var maxRecordsPerStep: Int
    /// Most pages given back to the file system in one turn of the writer queue. 2,048 (8 MiB of 4 KiB pages).
    package var maxPagesPerStep: Int
    /// How long one step may hold the writer while it is idle, in microseconds: a produce arriving meanwhile waits
    /// about this long at most. 500 µs.
    package var idleStepBudgetMicros: Int64
    /// How long one step may hold the writer while produces keep it busy, in microseconds. 10 ms.
    package var busyStepBudgetMicros: Int64
    /// While produces keep the writer busy (one waiting, or one committed less than a millisecond ago), one step
    /// per this many milliseconds: few produces wait behind a step (one in several hundred under a saturating
    /// producer), and the sweep still moves. A sweep that runs long gets steps more often (twice as often after
    /// five minutes, up to eight times), so that retention keeps up with any load. 250 ms.
    package var busyStepIntervalMs: Int64
    /// Free space a topic database keeps for appends to reuse rather than giving it back: this many bytes, or an
    /// eighth of the pages in use if that is more. 4 MiB.
    package var freeSpaceReserveBytes: Int64
    /// How long records appended to a compacted topic wait, at most, before compaction examines them. 30 s.
    package var compactionDelayMs: Int64
    /// …or less, once this many offsets of one partition await compaction. 50,000.
    package var compactionBacklogRecords: Int64

    package init(
        maxIntervalMs: Int64 = 300_000,
        maxRecordsPerStep: Int = 10_000,
        maxPagesPerStep: Int = 2_048,
        idleStepBudgetMicros: Int64 = 500,
        busyStepBudgetMicros: Int64 = 10_000,
        busyStepIntervalMs: Int64 = 250,
        freeSpaceReserveBytes: Int64 = 4 << 20,
        compactionDelayMs: Int64 = 30_000,
        compactionBacklogRecords: Int64 = 50_000
    ) {
        precondition(maxIntervalMs > 0 && maxRecordsPerStep > 0 && maxPagesPerStep > 0, "sweeper settings must be positive")
        self.maxIntervalMs = maxIntervalMs
        self.maxRecordsPerStep = maxRecordsPerStep
        self.maxPagesPerStep = maxPagesPerStep
        self.idleStepBudgetMicros = idleStepBudgetMicros
        self.busyStepBudgetMicros = busyStepBudgetMicros
        self.busyStepIntervalMs = busyStepIntervalMs
        self.freeSpaceReserveBytes = freeSpaceReserveBytes
        self.compactionDelayMs = compactionDelayMs
        self.compactionBacklogRecords = compactionBacklogRecords
    }

    /// The storage layer's step settings.
    var steps: RetentionSweep.Settings {
        RetentionSweep.Settings(
            maxRecordsPerStep: maxRecordsPerStep, maxPagesPerStep: maxPagesPerStep,
            idleStepBudget: .microseconds(idleStepBudgetMicros), busyStepBudget: .microseconds(busyStepBudgetMicros),
            busyStepInterval: .milliseconds(busyStepIntervalMs), idleGap: .milliseconds(1),
            freeSpaceReserveBytes: freeSpaceReserveBytes)
    }
}
