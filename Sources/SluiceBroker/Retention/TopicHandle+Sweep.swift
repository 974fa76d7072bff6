import CoreMetrics
import Dispatch
import Logging
import SluiceCore
import SluiceStorage
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Retention and compaction for one topic, run on its writer queue one bounded step per turn (`SweepHost`), so
/// that a produce queued behind a sweep waits for at most one step.
extension TopicHandle: SweepHost {
    /// Starts a sweep (the sweeper calls this; one runs at a time per topic). Reports its end to `retention`.
    ///
    /// The topic is opened for the sweep (a closed one on its writer queue) and stays open until the sweep ends.
    func sweep() {
        let sweep = RetentionSweep(
            policy: config.cleanupPolicy, partitions: partitionCount,
            now: retention.clock(), settings: retention.settings.steps)
        sweepBegan()
        writerQueue.async {
            self.roomMadeAt.withLock { $0 = nil }
            do throws(SluiceError) {
                _ = try self.watch(from: try self.openWriter())
            } catch {
                self.sweepEnded()
                if self.isClosed { return }
                self.logger.error(
                    "cannot open topic to sweep it", metadata: ["topic": "\(self.name)", "error": "\(error)"])
                self.retention.failed()
                return
            }
            self.runSweep(sweep)
        }
    }

    /// Open from `sweep()` until the sweep ends (the sweep keeps the topic open), and read only meanwhile.
    var sweepWriter: TopicWriter {
        guard let writer = openedWriter else { preconditionFailure("topic '\(name)' swept while closed") }
        return writer
    }
    var sweepConfig: TopicConfig { config }
    var sweepCancelled: Bool { isClosed }

    func sweepStepped(_ step: RetentionSweep.Step?, outcome: RetentionSweep.Outcome, took: Duration) {
        if case .logStartRaised(let partition, let offset) = outcome { watchIfLoaded?.setLogStart(partition, offset) }
    }

    func sweepFinished(_ sweep: RetentionSweep, started: ContinuousClock.Instant) throws(SluiceError) {
        try finishSweep(sweep, started: started)
        sweepEnded()
        // Space was given back: set the reserve aside again if a sweep used it.
        retention.sweeper.reserve?.restore()
    }

    func sweepFailed(_ attempt: RetentionSweep, error: SluiceError) -> Bool {
        if error.code == .diskFull, makeRoomToSweep(attempt) { return true }
        logger.error("sweep failed", metadata: ["topic": "\(name)", "error": "\(error)"])
        sweepEnded()
        retention.failed()
        return false
    }

    /// After a sweep step ran out of space, frees room for it to run again; false when there is none to free.
    ///
    /// Deleting is how a full disk gets space back, but each step writes its changes to the WAL. So: empty the WAL
    /// of the steps done so far (a checkpoint; the deletions only free pages inside the database file), and when
    /// that frees nothing, use the data directory's reserve. Room is made again only once the sweep has deleted
    /// more since the last time, so a step that cannot fit is not retried for ever.
    private func makeRoomToSweep(_ sweep: RetentionSweep) -> Bool {
        let progressed = roomMadeAt.withLock { mark in
            guard mark.map({ sweep.deletedRecords > $0 }) ?? true else { return false }
            mark = sweep.deletedRecords
            return true
        }
        guard progressed else { return false }
        let walBefore = Self.fileSize("\(path)-wal")
        _ = try? sweepWriter.checkpoint(waitingAtMost: 100)
        if Self.fileSize("\(path)-wal") < walBefore { return true }
        if retention.sweeper.reserve?.release() == true {
            logger.warning("disk full: sweeping in the reserved space", metadata: ["topic": "\(name)"])
            return true
        }
        return false
    }

    private static func fileSize(_ path: String) -> Int64 {
        var info = stat()
        return stat(path, &info) == 0 ? Int64(info.st_size) : 0
    }

    /// Works out when each partition is next due and tells the sweeper.
    private func finishSweep(_ sweep: RetentionSweep, started: ContinuousClock.Instant) throws(SluiceError) {
        let writer = sweepWriter
        let config = self.config
        // Judged as of the sweep's start, like its deletions: what expired since is due at once.
        let now = sweep.now
        let compacting = config.cleanupPolicy.contains(.compact)
        var dues: [Int32: Int64] = [:]
        for partition in 0..<partitionCount {
            let facts = RetentionDue.Facts(
                try writer.status(partition: partition),
                firstTimestamp: try writer.firstRecord(partition: partition)?.timestamp,
                oldestTombstone: compacting ? try writer.oldestTombstone(partition: partition) : nil)
            if let due = RetentionDue.afterSweep(facts, config: config, settings: retention.settings, now: now) {
                dues[partition] = due
            }
        }
        // Free space left because produces kept the writer busy: look again later, hopefully when it is idle.
        let reclaimDue = sweep.spaceLeftToReclaim ? now.addingSaturating(retention.settings.maxIntervalMs) : nil
        logger.debug(
            "swept",
            metadata: [
                "topic": "\(name)", "records": "\(sweep.deletedRecords)", "bytes": "\(sweep.deletedBytes)",
                "pages_reclaimed": "\(sweep.reclaimedPages)", "steps": "\(sweep.stepCount)",
                "duration": "\(started.duration(to: .now))",
                "next_due_ms": "\(dues.values.min().map { String($0 - now) } ?? "none")",
            ])
        // A sweep that deleted nothing makes no metrics (the start-up sweep of every topic would make them all).
        if let metrics = sweep.deletedRecords > 0 ? self.metrics : metricsIfMade {
            metrics.sweptRecords.increment(by: Int(sweep.deletedRecords))
            metrics.sweptBytes.increment(by: Int(sweep.deletedBytes))
            metrics.updateDiskBytes(path: path)
        }
        retention.finished(dues, database: reclaimDue)
    }

    /// After a commit (on the writer queue): makes the partitions it touched due sooner if it took them over a
    /// limit, gave compaction work, or gave an empty partition its first record. In-memory checks only.
    func noteCommitted(_ batch: [Produce], writer: TopicWriter, now: Int64) {
        let config = self.config
        var firstAppended: [Int32: Int64] = [:]
        for request in batch where firstAppended[request.partition] == nil {
            if let first = request.records.first { firstAppended[request.partition] = first.timestamp ?? now }
        }
        var dues: [(partition: Int32, due: Int64)] = []
        for (partition, timestamp) in firstAppended {
            guard let status = try? writer.status(partition: partition) else { continue }
            if let due = RetentionDue.afterCommit(
                .init(status), firstAppended: timestamp, config: config,
                settings: retention.settings, now: now)
            {
                dues.append((partition, due))
            }
        }
        if !dues.isEmpty { retention.noteDue(dues) }
    }

}
