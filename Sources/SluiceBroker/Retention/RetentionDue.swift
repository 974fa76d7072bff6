import SluiceCore
import SluiceStorage

/// When a partition next needs the sweeper, decided from what its writer knows: pure functions, tested alone.
///
/// Times are wall-clock milliseconds. A record is due once it is older than `retention.ms` (its timestamp plus
/// `retention.ms` has passed); records leave in offset order, so only the first record's timestamp matters. Limits
/// on bytes and records are checked with 1% of slack, so that a partition kept at its limit under steady load is
/// swept every 1% of new data rather than after every commit; a sweep then cuts to the limit itself. Expiries are
/// batched the same way: after a sweep, the next age-driven one waits at least `granularity` (1% of the
/// retention time, between 1 s and the sweeper's longest interval).
enum RetentionDue {
    /// What the partition's writer knows of it.
    struct Facts {
        var offsetCount: Int64
        var sizeBytes: Int64
        var compactionBacklog: Int64
        /// Timestamp of the first record stored, if any (read after a sweep).
        var firstTimestamp: Int64?
        /// Timestamp of the oldest tombstone, if the topic is compacted and has any (read after a sweep).
        var oldestTombstone: Int64?

        init(
            offsetCount: Int64 = 0, sizeBytes: Int64 = 0, compactionBacklog: Int64 = 0, firstTimestamp: Int64? = nil,
            oldestTombstone: Int64? = nil
        ) {
            self.offsetCount = offsetCount
            self.sizeBytes = sizeBytes
            self.compactionBacklog = compactionBacklog
            self.firstTimestamp = firstTimestamp
            self.oldestTombstone = oldestTombstone
        }

        init(_ status: PartitionStatus, firstTimestamp: Int64? = nil, oldestTombstone: Int64? = nil) {
            self.init(
                offsetCount: status.offsetCount, sizeBytes: status.sizeBytes,
                compactionBacklog: status.compactionBacklog, firstTimestamp: firstTimestamp,
                oldestTombstone: oldestTombstone)
        }
    }

    /// The shortest spacing between two sweeps driven by expiry times, for a retention time of `millis`.
    static func granularity(_ millis: Int64, _ settings: SweeperSettings) -> Int64 {
        min(max(millis / 100, 1_000), settings.maxIntervalMs)
    }

    /// Whether the partition is over its size or count limit by more than the 1% slack.
    static func overLimit(_ status: Facts, _ config: TopicConfig) -> Bool {
        guard config.cleanupPolicy.contains(.delete) else { return false }
        if let bytes = config.retentionBytes, status.sizeBytes > bytes.addingSaturating(bytes / 100) { return true }
        if let records = config.retentionRecords, status.offsetCount > records.addingSaturating(records / 100) {
            return true
        }
        return false
    }

    /// When the partition next needs a sweep, after one ended at `now`; `nil` when nothing is ever due as it is.
    static func afterSweep(_ facts: Facts, config: TopicConfig, settings: SweeperSettings, now: Int64) -> Int64? {
        var due: Int64?
        if overLimit(facts, config) { return now }
        if config.cleanupPolicy.contains(.delete), let millis = config.retentionMs, let first = facts.firstTimestamp {
            due = earliest(due, max(expiry(first, millis), now.addingSaturating(granularity(millis, settings))))
        }
        if config.cleanupPolicy.contains(.compact) {
            due = earliest(due, compactionDue(facts, settings: settings, now: now))
            if let tombstone = facts.oldestTombstone {
                let spacing = granularity(config.deleteRetentionMs, settings)
                due = earliest(due, max(expiry(tombstone, config.deleteRetentionMs), now.addingSaturating(spacing)))
            }
        }
        return due
    }

    /// When the partition needs a sweep, from a commit just made at `now` whose first record for the partition
    /// has `firstAppended` as its timestamp. Only ever an upper bound: the caller keeps the earlier of this and
    /// what it knew (a partition with older records is due sooner, and its sweep says when).
    static func afterCommit(
        _ status: Facts, firstAppended: Int64, config: TopicConfig,
        settings: SweeperSettings, now: Int64
    ) -> Int64? {
        if overLimit(status, config) { return now }
        var due: Int64?
        if config.cleanupPolicy.contains(.delete), let millis = config.retentionMs {
            due = max(expiry(firstAppended, millis), now.addingSaturating(granularity(millis, settings)))
        }
        if config.cleanupPolicy.contains(.compact) {
            due = earliest(due, compactionDue(status, settings: settings, now: now))
        }
        return due
    }

    /// When compaction should look at what was appended since its last pass: at once for a large backlog, after
    /// `compactionDelayMs` for a small one, never for none.
    static func compactionDue(_ status: Facts, settings: SweeperSettings, now: Int64) -> Int64? {
        let backlog = status.compactionBacklog
        if backlog <= 0 { return nil }
        if backlog >= settings.compactionBacklogRecords { return now }
        return now.addingSaturating(settings.compactionDelayMs)
    }

    /// The first time at which a record stamped `timestamp` is older than `millis`.
    static func expiry(_ timestamp: Int64, _ millis: Int64) -> Int64 {
        timestamp.addingSaturating(millis).addingSaturating(1)
    }

    static func earliest(_ a: Int64?, _ b: Int64?) -> Int64? {
        switch (a, b) {
        case (let a?, let b?): min(a, b)
        case (let a?, nil): a
        case (nil, let b): b
        }
    }
}

extension Int64 {
    /// `self + other`, held at `Int64.max` or `.min` instead of overflowing (timestamps come from producers).
    func addingSaturating(_ other: Int64) -> Int64 {
        let (sum, overflow) = addingReportingOverflow(other)
        return overflow ? (other > 0 ? .max : .min) : sum
    }
}
