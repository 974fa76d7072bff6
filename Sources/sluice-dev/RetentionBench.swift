import Dispatch
import SluiceCore
import SluiceStorage
import Synchronization

/// `retention-bench DIR [--backlog N] [--produces P] [--batch B] [--size BYTES] [--durability full|normal]
/// [--idle-budget-us U] [--busy-budget-us U] [--busy-interval-ms M]`: produce latency while the sweeper deletes a
/// large backlog, against the same load without.
///
/// Appends a backlog of N expired records (8-byte key, BYTES-byte value) to partition 0, then measures one producer
/// that appends a batch of B records and waits for its commit: for as long as a sweep of the backlog lasts, and
/// P times with no sweep (the baseline: half before the sweep, half after). The sweep runs as the broker runs it,
/// through `SweepHost.runSweep`: the writer lives on one serial queue; each `RetentionSweep` step is one queue item,
/// and between steps the sweep's own pacing decides whether to queue the next one at once (writer idle) or look
/// again later (appends keep it busy). Prints CSV lines `phase,produces,p50_ms,p99_ms,max_ms,max_wal_bytes`, then the sweep's figures as
/// `# key value` lines.
enum RetentionBench {
    static let topic = "bench"

    /// A non-`Sendable` value used only on the writer queue (or before and after it runs).
    final class Confined<Value>: @unchecked Sendable {
        var value: Value
        init(_ value: Value) { self.value = value }
    }

    /// What the producer, the writer queue and the sweep share.
    final class Shared: Sendable {
        /// Appends queued and not yet committed.
        let pending = Atomic<Int>(0)
        let finished = Atomic<Bool>(false)
        let failure = Mutex<String?>(nil)
        let stats = Mutex(SweepStats())
    }

    /// The bench's writer queue as the sweep runner sees it.
    final class BenchSweepHost: SweepHost {
        let writerQueue: DispatchQueue
        private let writer: Confined<TopicWriter>
        let sweepConfig: TopicConfig
        private let shared: Shared
        /// The sweep as it finished, once it has.
        let finished = Mutex<RetentionSweep?>(nil)

        init(queue: DispatchQueue, writer: Confined<TopicWriter>, config: TopicConfig, shared: Shared) {
            self.writerQueue = queue
            self.writer = writer
            self.sweepConfig = config
            self.shared = shared
        }

        var sweepWriter: TopicWriter { writer.value }
        var isWriterIdle: Bool { shared.pending.load(ordering: .relaxed) == 0 }
        var sweepCancelled: Bool { false }

        func sweepStepped(_ step: RetentionSweep.Step?, outcome: RetentionSweep.Outcome, took: Duration) {
            let took = RetentionBench.micros(took)
            shared.stats.withLock {
                $0.steps += 1
                $0.longestStepMicros = max($0.longestStepMicros, took)
                if case .truncate = step { $0.truncateSteps.append(took) }
                if step == .reclaimSpace { $0.reclaimSteps.append(took) }
            }
        }

        func sweepFinished(_ sweep: RetentionSweep, started: ContinuousClock.Instant) throws(SluiceError) {
            finished.withLock { $0 = sweep }
            shared.finished.store(true, ordering: .releasing)
        }

        func sweepFailed(_ attempt: RetentionSweep, error: SluiceError) -> Bool {
            shared.stats.withLock { $0.error = "\(error)" }
            shared.finished.store(true, ordering: .releasing)
            return false
        }
    }

    struct SweepStats {
        var deleted = 0
        var reclaimedPages: Int64 = 0
        var steps = 0
        var longestStepMicros = 0
        var truncateSteps: [Int] = []
        var reclaimSteps: [Int] = []
        var error: String?
    }

    static func run(_ arguments: [String]) throws {
        let options = try Arguments(
            arguments,
            options: [
                "backlog", "produces", "batch", "size", "durability", "idle-budget-us", "busy-budget-us",
                "busy-interval-ms",
                "cleanup-policy", "keys", "alone",
            ])
        guard let policy = CleanupPolicy(name: options.string("cleanup-policy") ?? "delete") else {
            throw UsageError("--cleanup-policy must be delete, compact or compact,delete")
        }
        // Under compaction, backlog record n has key n % keys, so all but the last `keys` records go.
        let keys = try options.positiveInt("keys", default: Int.max)
        guard options.positional.count == 1 else { throw UsageError("retention-bench needs DIR") }
        let backlog = try options.positiveInt("backlog", default: 2_000_000)
        let produces = try options.positiveInt("produces", default: 5_000)
        let batchSize = try options.positiveInt("batch", default: 10)
        let size = try options.positiveInt("size", default: 100)
        // The storage defaults, which are also the broker's (`SweeperSettings`), unless told otherwise.
        var settings = RetentionSweep.Settings()
        if options.string("idle-budget-us") != nil {
            settings.idleStepBudget = .microseconds(try options.positiveInt("idle-budget-us"))
        }
        if options.string("busy-budget-us") != nil {
            settings.busyStepBudget = .microseconds(try options.positiveInt("busy-budget-us"))
        }
        if options.string("busy-interval-ms") != nil {
            settings.busyStepInterval = .milliseconds(try options.positiveInt("busy-interval-ms"))
        }
        let durability = try options.durability(default: .full)

        let directory = options.positional[0]
        let store = try Store(path: directory)
        if try store.topics().contains(where: { $0.name == topic }) { try store.deleteTopic(topic) }
        let config = TopicConfig(
            retentionMs: 3_600_000, retentionBytes: nil, cleanupPolicy: policy,
            durability: durability)
        try store.createTopic(topic, config: config, now: wallClockMillis())
        let writer = try store.openWriter(topic)

        // The backlog: every record two hours old, so that all of it is due.
        let old = wallClockMillis() - 7_200_000
        var appended = 0
        while appended < backlog {
            let count = min(10_000, backlog - appended)
            try writer.append(
                partition: 0,
                records: (appended..<appended + count).map { record($0 % keys, size: size, timestamp: old) },
                now: old)
            appended += count
        }
        _ = try writer.checkpoint(waitingAtMost: 1_000)
        let filesBefore = store.diskSize(topic)
        Output.line("# backlog_records \(backlog) cleanup_policy \(policy.name) distinct_keys \(min(keys, backlog))")
        Output.line("# files_bytes_before \(filesBefore)")

        // `--alone yes`: the sweep's own speed, with no producer (and no pacing to wait for); nothing else.
        if options.string("alone") == "yes" {
            var sweep = RetentionSweep(
                policy: config.cleanupPolicy, partitions: 1, now: wallClockMillis(),
                settings: settings)
            let start = ContinuousClock.now
            while try sweep.step(writer, config: config, writerIsIdle: true) != .finished {}
            let seconds = Double(micros(start.duration(to: .now))) / 1_000_000
            Output.line("# alone_seconds \(String(format3: seconds)) steps \(sweep.stepCount)")
            Output.line(
                "# alone_deleted_records \(sweep.deletedRecords) per_second \(Int(Double(sweep.deletedRecords) / seconds))"
            )
            Output.line("# alone_reclaimed_pages \(sweep.reclaimedPages) files_bytes_after \(store.diskSize(topic))")
            return
        }

        let queue = DispatchQueue(label: "bench.writer")
        let confined = Confined(writer)
        let shared = Shared()
        let walPath = store.directory.topicPath(topic) + "-wal"
        let batches = (0..<max(produces, 1)).map { b in
            (0..<batchSize).map { record(backlog + b * batchSize + $0, size: size, timestamp: nil) }
        }

        /// One producer, one batch in flight: appends until `keepGoing` says stop; returns latencies in µs.
        func produce(_ keepGoing: (Int) -> Bool) throws -> (latencies: [Int], maxWAL: Int64) {
            var latencies: [Int] = []
            var maxWAL: Int64 = 0
            let done = DispatchSemaphore(value: 0)
            var index = 0
            while keepGoing(index) {
                let batch = batches[index % batches.count]
                let start = ContinuousClock.now
                shared.pending.add(1, ordering: .relaxed)
                queue.async {
                    do {
                        try confined.value.append(partition: 0, records: batch, now: wallClockMillis())
                    } catch {
                        shared.failure.withLock { $0 = "\(error)" }
                    }
                    shared.pending.subtract(1, ordering: .relaxed)
                    done.signal()
                }
                done.wait()
                latencies.append(micros(start.duration(to: .now)))
                if let message = shared.failure.withLock({ $0 }) { throw SluiceError(.storageError, message) }
                maxWAL = max(maxWAL, FileSystem.size(walPath))
                index += 1
            }
            return (latencies, maxWAL)
        }

        // Half the baseline before the sweep and half after, so that a machine getting busier or quieter during
        // the run weighs on both sides.
        let before = try produce { $0 < produces / 2 }

        // The sweep, one step per queue turn, paced by the runner the broker uses.
        let host = BenchSweepHost(queue: queue, writer: confined, config: config, shared: shared)
        let sweepStart = ContinuousClock.now
        host.runSweep(
            RetentionSweep(
                policy: config.cleanupPolicy, partitions: 1, now: wallClockMillis(),
                settings: settings))
        let during = try produce { _ in !shared.finished.load(ordering: .acquiring) }
        let sweepTime = sweepStart.duration(to: .now)
        let after = try produce { $0 < produces - produces / 2 }
        let baseline = (latencies: before.latencies + after.latencies, maxWAL: max(before.maxWAL, after.maxWAL))
        report("baseline", baseline.latencies, baseline.maxWAL)
        report("sweep", during.latencies, during.maxWAL)

        var final = shared.stats.withLock { $0 }
        if let error = final.error { throw SluiceError(.storageError, "sweep failed: \(error)") }
        guard let swept = host.finished.withLock({ $0 }) else {
            throw SluiceError(.storageError, "the sweep did not finish")
        }
        final.deleted = swept.deletedRecords
        final.reclaimedPages = swept.reclaimedPages
        let filesAfterSweep = store.diskSize(topic)
        // The space the sweep left because produces kept the writer busy goes at the next sweep of an idle writer.
        var idle = RetentionSweep(
            policy: config.cleanupPolicy, partitions: 1, now: wallClockMillis(), settings: settings)
        let idleStart = ContinuousClock.now
        while try idle.step(writer, config: config, writerIsIdle: true) != .finished {}
        let idleSweep = idleStart.duration(to: .now)
        let seconds = Double(micros(sweepTime)) / 1_000_000
        Output.line("# sweep_seconds \(String(format3: seconds))")
        Output.line("# deleted_records \(final.deleted)")
        Output.line("# deleted_per_second \(Int(Double(final.deleted) / max(seconds, 0.000_001)))")
        Output.line("# reclaimed_pages \(final.reclaimedPages)")
        Output.line("# sweep_steps \(final.steps)")
        let ms = { (micros: Int) in String(format3: Double(micros) / 1000) }
        Output.line(
            "# delete_step_ms p50 \(ms(percentile(final.truncateSteps, 50))) p99 \(ms(percentile(final.truncateSteps, 99)))"
        )
        Output.line(
            "# vacuum_step_ms p50 \(ms(percentile(final.reclaimSteps, 50))) p99 \(ms(percentile(final.reclaimSteps, 99)))"
        )
        Output.line("# longest_step_ms \(String(format3: Double(final.longestStepMicros) / 1000))")
        Output.line("# space_left_to_reclaim \(swept.spaceLeftToReclaim)")
        Output.line("# files_bytes_after_sweep \(filesAfterSweep)")
        Output.line("# idle_sweep_ms \(ms(micros(idleSweep))) reclaimed_pages \(idle.reclaimedPages)")
        Output.line("# files_bytes_after_idle_sweep \(store.diskSize(topic))")
        Output.line(
            "# live_records \(try writer.status(partition: 0).offsetCount) live_bytes \(try writer.status(partition: 0).sizeBytes)"
        )
        let p99 = { (l: [Int]) in percentile(l, 99) }
        Output.line(
            "# p99_ratio \(String(format3: Double(p99(during.latencies)) / Double(max(p99(baseline.latencies), 1))))")
    }

    static func record(_ n: Int, size: Int, timestamp: Int64?) -> ProducerRecord {
        let key = (0..<8).map { UInt8(truncatingIfNeeded: UInt64(n) >> ($0 * 8)) }
        let value = (0..<size).map { UInt8(truncatingIfNeeded: n &+ $0) }
        return ProducerRecord(key: key, value: value, timestamp: timestamp)
    }

    static func micros(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        return Int(seconds) * 1_000_000 + Int(attoseconds / 1_000_000_000_000)
    }

    static func percentile(_ values: [Int], _ p: Int) -> Int {
        guard !values.isEmpty else { return 0 }
        let sorted = values.sorted()
        return sorted[min(sorted.count - 1, sorted.count * p / 100)]
    }

    static func report(_ phase: String, _ latencies: [Int], _ maxWAL: Int64) {
        let ms = { (micros: Int) in String(format3: Double(micros) / 1000) }
        Output.line(
            "\(phase),\(latencies.count),\(ms(percentile(latencies, 50))),\(ms(percentile(latencies, 99))),"
                + "\(ms(latencies.max() ?? 0)),\(maxWAL)")
        let over = [1, 2, 5, 10].map { limit in
            "\(limit)ms:\(String(format3: 100 * Double(latencies.filter { $0 > limit * 1000 }.count) / Double(max(latencies.count, 1))))%"
        }
        Output.line("# \(phase)_slower_than \(over.joined(separator: " "))")
    }
}

extension String {
    /// `value` with three decimals, without Foundation.
    init(format3 value: Double) {
        let thousandths = Int((value * 1000).rounded())
        let fraction = String(abs(thousandths) % 1000)
        self = "\(thousandths / 1000).\(String(repeating: "0", count: 3 - fraction.count))\(fraction)"
    }
}
