import CoreMetrics
import Dispatch
import Logging
import SluiceCore
import SluiceStorage
import Synchronization

/// A live topic inside the broker: its settings, its one writer with group commit, its readers and its watch.
///
/// Group commit: produce requests queue up in `pending`; whichever request finds no drain scheduled schedules one on
/// the writer queue. A drain takes everything pending, appends it in one transaction, commits, then completes every
/// request. Requests that arrive during a commit wait for the next drain, so batches grow with load and no timer is
/// involved: an idle topic runs nothing.
final class TopicHandle: Sendable {
    let name: String
    let path: String
    private let settings: Mutex<TopicConfig>
    let watch: PartitionWatch
    let writerQueue: DispatchQueue
    let writer: Owned<TopicWriter>
    /// Checkpoints the WAL in the background, off the writer's path.
    private let checkpoint: BackgroundCheckpoint
    private let pending = Mutex(PendingState())
    private let readers = Mutex<[Owned<TopicReader>]>([])
    private let closed = Atomic<Bool>(false)
    /// Closed because the broker stops (produces still pending are answered `.shuttingDown`, which a producer
    /// retries) rather than because the topic is deleted (`.unknownTopic`).
    private let stopping = Atomic<Bool>(false)
    let logger: Logger
    /// When the sweeper should next look at this topic; see `TopicHandle+Sweep.swift`.
    let retention: TopicRetention
    let metrics: TopicMetrics
    /// The running sweep's deleted-record count when it last made room on a full disk (see `makeRoomToSweep`);
    /// touched only on the writer queue.
    let roomMadeAt = Mutex<Int?>(nil)

    static let maxPooledReaders = 4
    /// Commits one drain makes before letting other work on the writer queue (a sweep step) take a turn.
    static let commitsPerTurn = 4

    struct Produce {
        var partition: Int32
        var records: [ProducerRecord]
        var sequence: BatchSequence?
        var completion: @Sendable (Result<ProduceOutcome.Appended, SluiceError>) -> Void
    }

    struct PendingState {
        var requests: [Produce] = []
        var drainScheduled = false
    }

    init(
        name: String, path: String, config: TopicConfig, writer: TopicWriter, retention: TopicRetention,
        logger: Logger
    ) throws(SluiceError) {
        self.name = name
        self.path = path
        self.settings = Mutex(config)
        self.logger = logger
        self.retention = retention
        self.metrics = TopicMetrics(topic: name)
        var bounds: [(logStart: Int64, next: Int64)] = []
        for partition in 0..<config.partitions {
            let offsets = try writer.offsets(partition: partition)
            bounds.append((offsets.logStartOffset, offsets.nextOffset))
        }
        self.watch = PartitionWatch(bounds: bounds)
        self.writer = Owned(writer)
        self.writerQueue = DispatchQueue(label: "sluice.writer.\(name)")
        self.checkpoint = BackgroundCheckpoint(path: path, queue: DispatchQueue(label: "sluice.checkpoint.\(name)")) {
            error in
            logger.debug("background checkpoint failed", metadata: ["topic": "\(name)", "error": "\(error)"])
        }
    }

    var config: TopicConfig { settings.withLock { $0 } }

    var isClosed: Bool { closed.load(ordering: .acquiring) }

    /// No produce is waiting for the writer or being committed.
    var isWriterIdle: Bool { pending.withLock { $0.requests.isEmpty && !$0.drainScheduled } }

    // MARK: - Produce

    /// Queues records for the next group commit; `completion` runs after COMMIT (or with the error that stopped it).
    func produce(
        partition: Int32, records: [ProducerRecord], sequence: BatchSequence? = nil,
        completion: @escaping @Sendable (Result<ProduceOutcome.Appended, SluiceError>) -> Void
    ) {
        let config = self.config
        guard partition >= 0, partition < watch.partitionCount else {
            completion(.failure(.unknownPartition(name, partition, count: watch.partitionCount)))
            return
        }
        for record in records where record.sizeInBytes > config.maxMessageBytes {
            completion(
                .failure(
                    SluiceError(
                        .messageTooLarge,
                        "a record of \(record.sizeInBytes) bytes exceeds topic '\(name)' max.message.bytes of \(config.maxMessageBytes)"
                    )))
            return
        }
        let schedule = pending.withLock { state -> Bool in
            state.requests.append(
                Produce(
                    partition: partition, records: records, sequence: sequence,
                    completion: completion))
            if state.drainScheduled { return false }
            state.drainScheduled = true
            return true
        }
        if schedule {
            writerQueue.async { self.drain() }
        }
    }

    /// Commits everything pending, repeatedly, until nothing is left. Runs on the writer queue only; after a few
    /// commits in a row it queues itself again, so that a sweep step waiting on the queue gets its turn.
    private func drain() {
        for _ in 0..<Self.commitsPerTurn {
            let batch = pending.withLock { state -> [Produce] in
                let batch = state.requests
                state.requests.removeAll(keepingCapacity: true)
                if batch.isEmpty { state.drainScheduled = false }
                return batch
            }
            if batch.isEmpty { return }
            commit(batch)
        }
        writerQueue.async { self.drain() }
    }

    private func commit(_ batch: [Produce]) {
        if isClosed {
            let error =
                stopping.load(ordering: .acquiring)
                ? SluiceError(.shuttingDown, "the server is shutting down") : SluiceError.unknownTopic(name)
            for request in batch { request.completion(.failure(error)) }
            return
        }
        let now = retention.clock()
        let appends = batch.map {
            TopicWriter.PartitionAppend(partition: $0.partition, records: $0.records, sequence: $0.sequence)
        }
        let started = ContinuousClock.now
        do {
            let results = try writer.value.append(appends, now: now)
            let elapsed = started.duration(to: .now)
            BrokerMetrics.commitDuration.recordNanoseconds(
                elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000)
            var records = 0
            var bytes = 0
            for request in batch {
                records += request.records.count
                for record in request.records { bytes += record.sizeInBytes }
            }
            BrokerMetrics.commitBatchRecords.record(records)
            metrics.producedRecords.increment(by: records)
            metrics.producedBytes.increment(by: bytes)
            var touched: [Int32: (next: Int64, bytes: Int)] = [:]
            for (request, result) in zip(batch, results) {
                guard case .success(let appended) = result, !appended.duplicate else { continue }
                let before = touched[request.partition] ?? (0, 0)
                touched[request.partition] = (
                    max(before.next, appended.baseOffset + Int64(appended.count)),
                    before.bytes + request.records.reduce(0) { $0 + $1.sizeInBytes }
                )
            }
            var woken: [FetchWaiter] = []
            for (partition, moved) in touched { woken += watch.advance(partition, to: moved.next, bytes: moved.bytes) }
            for (request, result) in zip(batch, results) {
                request.completion(
                    result.map {
                        .init(baseOffset: $0.baseOffset, logAppendTime: $0.logAppendTime, duplicate: $0.duplicate)
                    })
            }
            // Fetches waiting for these records are read here, once the produces are answered: no hop to the read
            // queue between the commit and the consumer's answer.
            for waiter in woken { waiter.fire(.inline) }
            noteCommitted(batch, now: now)
            checkpoint.afterCommit(writer.value)
        } catch {
            logger.error("commit failed", metadata: ["topic": "\(name)", "error": "\(error)"])
            for request in batch { request.completion(.failure(error)) }
        }
    }

    /// Runs `body` with the writer on the writer queue, after every produce queued before it.
    func withWriter<T: Sendable>(_ body: @escaping @Sendable (TopicWriter) throws(SluiceError) -> T)
        async throws(SluiceError) -> T
    {
        try await writerQueue.run { () throws(SluiceError) -> T in try body(self.writer.value) }
    }

    // MARK: - Reading

    /// Runs `body` with a pooled reader, on the calling thread (call it from the broker's read queue).
    func withReader<T>(_ body: (TopicReader) throws(SluiceError) -> T) throws(SluiceError) -> T {
        let pooled = readers.withLock { $0.popLast() }
        let reader: Owned<TopicReader>
        if let pooled { reader = pooled } else { reader = Owned(try TopicReader(topic: name, path: path)) }
        defer {
            if !isClosed {
                readers.withLock { pool in
                    if pool.count < Self.maxPooledReaders { pool.append(reader) }
                }
            }
        }
        return try body(reader.value)
    }

    // MARK: - Settings and lifecycle

    func updateConfig(_ config: TopicConfig) {
        let old = settings.withLock { state in
            defer { state = config }
            return state
        }
        if config.partitions > old.partitions {
            watch.addPartitions(Array(repeating: (0, 0), count: Int(config.partitions - old.partitions)))
        }
        if config.durability != old.durability {
            writerQueue.async { try? self.writer.value.setDurability(config.durability) }
        }
        // Limits may have tightened: the sweeper plans again at once (the sweep reads the settings at every step).
        retention.sweepNow()
    }

    /// Stops taking produces, finishes the commits in flight, drops pooled readers and wakes every waiting fetch.
    func close(shuttingDown: Bool = false) async {
        stopping.store(shuttingDown, ordering: .releasing)
        closed.store(true, ordering: .releasing)
        await writerQueue.run()
        // A background checkpoint under way finishes before the files may be closed or deleted.
        checkpoint.close()
        await checkpoint.queue.run()
        readers.withLock { $0.removeAll() }
        watch.wakeAll()
    }
}
