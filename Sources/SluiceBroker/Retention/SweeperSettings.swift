import SluiceStorage

/// How the retention sweeper paces itself. The defaults suit a small appliance; tests shorten the intervals.
package struct SweeperSettings: Sendable, Hashable {
    /// The longest the sweeper sleeps while any topic has something it will one day delete, so that a jump of the
    /// wall clock (an appliance that boots before its clock is set) is noticed within this time. 5 minutes.
    package var maxIntervalMs: Int64
    /// How long records appended to a compacted topic wait, at most, before compaction examines them. 30 s.
    package var compactionDelayMs: Int64
    /// …or less, once this many offsets of one partition await compaction. 50,000.
    package var compactionBacklogRecords: Int64
    /// How much one step of a sweep may do and how often it runs while produces keep the writer busy (the storage
    /// layer's settings, whose defaults are the sweeper's).
    package var steps: RetentionSweep.Settings
    /// Sweeps running at once, across topics; more due wait, earliest first. Each keeps its topic open, so this
    /// bounds what retention opens (at start-up every topic is due once). 4.
    package var maxConcurrentSweeps: Int

    package init(
        maxIntervalMs: Int64 = 300_000,
        compactionDelayMs: Int64 = 30_000,
        compactionBacklogRecords: Int64 = 50_000,
        steps: RetentionSweep.Settings = RetentionSweep.Settings(),
        maxConcurrentSweeps: Int = 4
    ) {
        precondition(maxIntervalMs > 0, "the sweeper's interval must be positive")
        precondition(maxConcurrentSweeps > 0, "at least one sweep must be allowed to run")
        self.maxConcurrentSweeps = maxConcurrentSweeps
        self.maxIntervalMs = maxIntervalMs
        self.compactionDelayMs = compactionDelayMs
        self.compactionBacklogRecords = compactionBacklogRecords
        self.steps = steps
    }
}
