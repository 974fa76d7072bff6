import CoreMetrics
import Dispatch
import Logging
import SluiceCore
import SluiceStorage
import Synchronization

/// A live topic inside the broker: its settings, its one writer with group commit, its readers and its watch.
///
/// Every topic of the data directory has a handle from start-up on, but its databases are opened on first use: the
/// writer by the first produce or sweep, readers by the first fetch, and the watch's bounds by whichever comes first
/// (read once, then kept in memory for the handle's life). When more topics are open than `OpenTopics` allows, the
/// least recently used idle ones close their connections (`closeIfIdle`), only once no produce is pending or being
/// committed, no sweep or background checkpoint runs and no reader is lent out; the next use opens them again. The
/// watch stays, so a fetch waiting on a closed topic is woken by the produce that opens it again.
///
/// Group commit: produce requests queue up in `pending`; whichever request finds no drain scheduled schedules one on
/// the writer queue. A drain takes everything pending, appends it in one transaction, commits, then completes every
/// request. Requests that arrive during a commit wait for the next drain, so batches grow with load and no timer is
/// involved: an idle topic runs nothing.
final class TopicHandle: Sendable {
    let name: String
    let path: String
    private let settings: Mutex<TopicConfig>
    /// Each partition's bounds and waiting fetches; `nil` until first needed (see `watch()`).
    private let loadedWatch = Mutex<PartitionWatch?>(nil)
    let writerQueue: DispatchQueue
    /// The writer while open; touched on the writer queue only.
    private let writerSlot = Owned(WriterSlot())
    /// Checkpoints the WAL in the background, off the writer's path.
    private let checkpoint: BackgroundCheckpoint
    private let pending = Mutex(PendingState())
    private let usage = Mutex(Usage())
    /// The broker's open topics, told whenever this one opens, is used or closes.
    private let openTopics: OpenTopics
    private let closed = Atomic<Bool>(false)
    /// A drain waiting for room in the open-topic budget has its retry queued, its timer armed.
    private let budgetRetryQueued = Atomic<Bool>(false)
    private let budgetTimerArmed = Atomic<Bool>(false)
    /// Closed because the broker stops (produces still pending are answered `.shuttingDown`, which a producer
    /// retries) rather than because the topic is deleted (`.unknownTopic`).
    private let stopping = Atomic<Bool>(false)
    let logger: Logger
    /// When the sweeper should next look at this topic; see `TopicHandle+Sweep.swift`.
    let retention: TopicRetention
    /// Made on first use, not with the handle: the metrics backend's registration grows with the metrics it holds,
    /// so ten thousand topics' metrics made at start-up took seconds.
    private let madeMetrics = Mutex<TopicMetrics?>(nil)
    /// Records produced and fetched per minute over the last hour (the status page's chart).
    let activity = TopicActivity()
    /// The running sweep's deleted-record count when it last made room on a full disk (see `makeRoomToSweep`);
    /// touched only on the writer queue.
    let roomMadeAt = Mutex<Int?>(nil)

    static let maxPooledReaders = 4
    /// The longest a produce to a closed topic waits for room in the open-topic budget before its writer opens
    /// anyway.
    static let budgetWait = DispatchTimeInterval.seconds(2)
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
        /// Share-group work for the same transaction as the produces (see `TopicHandle+Share.swift`).
        var share: [ShareOp] = []
        var drainScheduled = false
    }

    final class WriterSlot {
        var writer: TopicWriter?
    }

    /// What holds the topic open besides its writer's pending produces.
    struct Usage {
        var pooled: [Owned<TopicReader>] = []
        /// Readers lent out to reads under way.
        var lent = 0
        var writerOpen = false
        /// A sweep is under way (from its start to its end, across its paced steps).
        var sweeping = false

        var isOpen: Bool { writerOpen || lent > 0 || !pooled.isEmpty }
    }

    /// A handle for the topic whose database is at `path`; opens nothing (see the type's comment).
    init(
        name: String, path: String, config: TopicConfig, retention: TopicRetention, openTopics: OpenTopics,
        logger: Logger
    ) {
        self.name = name
        self.path = path
        self.settings = Mutex(config)
        self.logger = logger
        self.retention = retention
        self.openTopics = openTopics
        self.writerQueue = DispatchQueue(label: "sluice.writer.\(name)")
        self.checkpoint = BackgroundCheckpoint(path: path, queue: DispatchQueue(label: "sluice.checkpoint.\(name)")) {
            error in
            logger.debug("background checkpoint failed", metadata: ["topic": "\(name)", "error": "\(error)"])
        }
    }

    var config: TopicConfig { settings.withLock { $0 } }

    var metrics: TopicMetrics {
        madeMetrics.withLock { made in
            if let made { return made }
            let metrics = TopicMetrics(topic: name)
            made = metrics
            return metrics
        }
    }

    /// The metrics if the topic was used since start-up.
    var metricsIfMade: TopicMetrics? { madeMetrics.withLock { $0 } }

    /// Partitions the topic has now (its settings'; the watch may not be loaded yet).
    var partitionCount: Int32 { config.partitions }

    var isClosed: Bool { closed.load(ordering: .acquiring) }

    /// No produce is waiting for the writer or being committed.
    var isWriterIdle: Bool { pending.withLock { $0.requests.isEmpty && $0.share.isEmpty && !$0.drainScheduled } }

    // MARK: - Produce

    /// Queues records for the next group commit; `completion` runs after COMMIT (or with the error that stopped it).
    func produce(
        partition: Int32, records: [ProducerRecord], sequence: BatchSequence? = nil,
        completion: @escaping @Sendable (Result<ProduceOutcome.Appended, SluiceError>) -> Void
    ) {
        let config = self.config
        guard partition >= 0, partition < config.partitions else {
            completion(.failure(.unknownPartition(name, partition, count: config.partitions)))
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

    /// Queues share-group work for the next transaction (with whatever produces are pending).
    func enqueueShare(_ op: ShareOp) {
        let schedule = pending.withLock { state -> Bool in
            state.share.append(op)
            if state.drainScheduled { return false }
            state.drainScheduled = true
            return true
        }
        if schedule {
            writerQueue.async { self.drain() }
        }
    }

    /// Share-group state of this topic: in memory, changed only on the writer queue.
    let shares = Mutex(ShareTopicState())

    /// Commits everything pending, repeatedly, until nothing is left. Runs on the writer queue only; after a few
    /// commits in a row it queues itself again, so that a sweep step waiting on the queue gets its turn.
    private func drain(overdue: Bool = false) {
        if openedWriter == nil, !isClosed, !reserveForProduce(overdue: overdue) { return }
        for _ in 0..<Self.commitsPerTurn {
            let (batch, share) = pending.withLock { state -> ([Produce], [ShareOp]) in
                let batch = state.requests
                let share = state.share
                state.requests.removeAll(keepingCapacity: true)
                state.share.removeAll(keepingCapacity: true)
                if batch.isEmpty && share.isEmpty { state.drainScheduled = false }
                return (batch, share)
            }
            if batch.isEmpty && share.isEmpty {
                // Idle now: beyond the budget, close at once (see `OpenTopics`).
                if openTopics.isOverBudget { closeNowIfIdle() }
                return
            }
            commit(batch, share: share)
        }
        writerQueue.async { self.drain() }
    }

    /// A transaction of share acquisitions alone commits without an fsync (see `ShareTransaction.acquisitionsOnly`)
    /// unless `mustSync`.
    private func commit(_ batch: [Produce], share: [ShareOp], mustSync: Bool = false) {
        if isClosed {
            let error =
                stopping.load(ordering: .acquiring)
                ? SluiceError(.shuttingDown, "the server is shutting down") : SluiceError.unknownTopic(name)
            for request in batch { request.completion(.failure(error)) }
            for op in share { op.fail(error) }
            return
        }
        let writer: TopicWriter
        let watch: PartitionWatch
        do throws(SluiceError) {
            writer = try openWriter()
            watch = try self.watch(from: writer)
        } catch {
            logger.error("cannot open topic", metadata: ["topic": "\(name)", "error": "\(error)"])
            for request in batch { request.completion(.failure(error)) }
            for op in share { op.fail(error) }
            return
        }
        let now = retention.clock()
        let appends = batch.map {
            TopicWriter.PartitionAppend(partition: $0.partition, records: $0.records, sequence: $0.sequence)
        }
        let started = ContinuousClock.now
        let withoutSync = !mustSync && batch.isEmpty && !share.isEmpty && !share.contains { $0.durable }
        let transaction =
            share.isEmpty
            ? nil : ShareTransaction(handle: self, writer: writer, now: now, acquisitionsOnly: withoutSync)
        do {
            var shareWork: ((TopicWriter) throws(SluiceError) -> Void)?
            if let transaction {
                shareWork = { _ throws(SluiceError) in try transaction.run(share) }
            }
            let results = try writer.append(appends, now: now, withoutSync: withoutSync, then: shareWork)
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
            activity.add(produced: records, wallMs: now)
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
            transaction?.committed()
            if !batch.isEmpty { noteCommitted(batch, writer: writer, now: now) }
            checkpoint.afterCommit(writer)
        } catch {
            if let transaction, transaction.mustRetryDurably {
                commit(batch, share: share, mustSync: true)
                return
            }
            logger.error("commit failed", metadata: ["topic": "\(name)", "error": "\(error)"])
            for request in batch { request.completion(.failure(error)) }
            for op in share { op.fail(error) }
        }
    }

    /// Before a drain opens the writer: a place in the open-topic budget. Without one, the drain runs again when a
    /// topic closes, or after `budgetWait` as overdue (let in up to twice the budget: topics kept busy without a
    /// pause would otherwise hold it off for ever); the produces stay pending meanwhile. At most one of each is
    /// waiting per topic.
    private func reserveForProduce(overdue: Bool) -> Bool {
        let retry: @Sendable () -> Void = {
            self.budgetRetryQueued.store(false, ordering: .releasing)
            self.writerQueue.async { self.drain() }
        }
        let queueRetry = !budgetRetryQueued.exchange(true, ordering: .acquiringAndReleasing)
        if openTopics.reserve(self, overdue: overdue, orRetry: queueRetry ? retry : nil) {
            if queueRetry { budgetRetryQueued.store(false, ordering: .releasing) }
            return true
        }
        if !budgetTimerArmed.exchange(true, ordering: .acquiringAndReleasing) {
            writerQueue.asyncAfter(deadline: .now() + Self.budgetWait) {
                self.budgetTimerArmed.store(false, ordering: .releasing)
                self.drain(overdue: true)
            }
        }
        return false
    }

    /// Runs `body` with the writer (opened if closed) on the writer queue, after every produce queued before it.
    func withWriter<T: Sendable>(_ body: @escaping @Sendable (TopicWriter) throws(SluiceError) -> T)
        async throws(SluiceError) -> T
    {
        try await writerQueue.run { () throws(SluiceError) -> T in try body(try self.openWriter()) }
    }

    /// The writer, opened first if it is closed. On the writer queue only; refused once the topic is closed for good
    /// (its files may belong to a new topic of the same name by now).
    func openWriter() throws(SluiceError) -> TopicWriter {
        if let writer = writerSlot.value.writer {
            noteUsed()
            return writer
        }
        if isClosed { throw closedError }
        let writer: TopicWriter
        do throws(SluiceError) {
            writer = try TopicWriter(topic: name, path: path, durability: config.durability)
        } catch {
            usage.withLock { usage in
                if !usage.isOpen { openTopics.closed(self) }
            }
            throw naming(error)
        }
        writerSlot.value.writer = writer
        let victims = usage.withLock { usage in
            usage.writerOpen = true
            return openTopics.used(self)
        }
        for victim in victims { victim.closeIfIdle() }
        return writer
    }

    /// The writer if it is open (on the writer queue only).
    var openedWriter: TopicWriter? { writerSlot.value.writer }

    /// `error` with the topic and its file named, as every failure to open or load a topic is reported.
    private func naming(_ error: SluiceError) -> SluiceError {
        if error.message.contains(path) || error.code == .unknownTopic || error.code == .shuttingDown { return error }
        return SluiceError(error.code, "topic '\(name)' (\(path)): \(error.message)")
    }

    private var closedError: SluiceError {
        stopping.load(ordering: .acquiring)
            ? SluiceError(.shuttingDown, "the server is shutting down") : SluiceError.unknownTopic(name)
    }

    private func noteUsed() {
        let victims = usage.withLock { usage in usage.isOpen ? openTopics.used(self) : [] }
        for victim in victims { victim.closeIfIdle() }
    }

    // MARK: - Watch

    /// The partitions' bounds and waiting fetches, read from the database the first time (with a reader, on the
    /// calling thread: call it from a broker queue, never an event loop), from memory afterwards.
    func watch() throws(SluiceError) -> PartitionWatch {
        if let watch = loadedWatch.withLock({ $0 }) { return watch }
        let count = config.partitions
        do throws(SluiceError) {
            let bounds = try withReader { reader throws(SluiceError) in
                try (0..<count).map { partition throws(SluiceError) in
                    let offsets = try reader.offsets(partition: partition)
                    return (offsets.logStartOffset, offsets.nextOffset)
                }
            }
            return install(bounds)
        } catch {
            throw naming(error)
        }
    }

    /// `watch()`, its bounds read through the writer when not loaded yet (on the writer queue).
    func watch(from writer: TopicWriter) throws(SluiceError) -> PartitionWatch {
        if let watch = loadedWatch.withLock({ $0 }) { return watch }
        let count = config.partitions
        do throws(SluiceError) {
            let bounds = try (0..<count).map { partition throws(SluiceError) in
                let offsets = try writer.offsets(partition: partition)
                return (offsets.logStartOffset, offsets.nextOffset)
            }
            return install(bounds)
        } catch {
            throw naming(error)
        }
    }

    /// The watch if its bounds were loaded.
    var watchIfLoaded: PartitionWatch? { loadedWatch.withLock { $0 } }

    /// Keeps the first watch made (bounds read by a reader and by the writer agree: only the writer moves them, and
    /// it loads the watch before its first commit).
    private func install(_ bounds: [(logStart: Int64, next: Int64)]) -> PartitionWatch {
        let watch = loadedWatch.withLock { slot in
            if let slot { return slot }
            let watch = PartitionWatch(bounds: bounds)
            slot = watch
            return watch
        }
        // Partitions added while the bounds were read are new, hence empty.
        watch.ensurePartitions(config.partitions)
        return watch
    }

    // MARK: - Reading

    /// Runs `body` with a pooled reader (opened if none is), on the calling thread (call it from the broker's read
    /// queue).
    func withReader<T>(_ body: (TopicReader) throws(SluiceError) -> T) throws(SluiceError) -> T {
        if isClosed { throw closedError }
        let (pooled, victims) = usage.withLock { usage in
            usage.lent += 1
            return (usage.pooled.popLast(), openTopics.used(self))
        }
        for victim in victims { victim.closeIfIdle() }
        let reader: Owned<TopicReader>
        if let pooled {
            reader = pooled
        } else {
            do throws(SluiceError) {
                reader = Owned(try TopicReader(topic: name, path: path))
            } catch {
                giveBack(nil)
                throw naming(error)
            }
        }
        defer { giveBack(reader) }
        return try body(reader.value)
    }

    /// Takes back a lent reader (`nil`: it could not be opened) into the pool, unless the pool is full or the topic
    /// closed; a topic left with nothing open is no longer counted as open.
    private func giveBack(_ reader: Owned<TopicReader>?) {
        let closeWriter = usage.withLock { usage -> Bool in
            usage.lent -= 1
            // Over the budget, a reader no longer needed is closed rather than pooled.
            let over = openTopics.isOverBudget
            if let reader, !isClosed, !over, usage.pooled.count < Self.maxPooledReaders { usage.pooled.append(reader) }
            if !usage.isOpen {
                openTopics.closed(self)
                return false
            }
            return over && usage.lent == 0
        }
        if closeWriter { closeIfIdle() }
    }

    // MARK: - Closing when idle

    /// A sweep starts: the topic stays open until `sweepEnded()`.
    func sweepBegan() { usage.withLock { $0.sweeping = true } }

    func sweepEnded() {
        usage.withLock { $0.sweeping = false }
        if openTopics.isOverBudget { closeIfIdle() }
    }

    /// Closes the writer and the pooled readers if nothing is in flight (see the type's comment); otherwise leaves
    /// the topic open for a later request. Returns at once: the work runs on the writer queue.
    func closeIfIdle() {
        writerQueue.async { self.closeNowIfIdle() }
    }

    private func closeNowIfIdle() {
        let idle = isWriterIdle && !checkpoint.isRunning
        var readers: [Owned<TopicReader>]? = usage.withLock { usage in
            guard idle, usage.lent == 0, !usage.sweeping else {
                openTopics.stayedOpen(self)
                return nil
            }
            defer {
                usage.pooled = []
                usage.writerOpen = false
                openTopics.closed(self)
            }
            return usage.pooled
        }
        guard readers != nil else { return }
        // Readers first (outside the lock: closing a connection is I/O), so that the writer's connection is the
        // last and checkpoints the WAL as it closes.
        readers = nil
        writerSlot.value.writer = nil
        logger.trace("topic closed while idle", metadata: ["topic": "\(name)"])
    }

    // MARK: - Settings and lifecycle

    func updateConfig(_ config: TopicConfig) {
        let old = settings.withLock { state in
            defer { state = config }
            return state
        }
        if config.partitions > old.partitions { watchIfLoaded?.ensurePartitions(config.partitions) }
        if config.durability != old.durability {
            // A closed writer opens with the topic's settings of the moment.
            writerQueue.async { try? self.openedWriter?.setDurability(config.durability) }
        }
        // Limits may have tightened: the sweeper plans again at once (the sweep reads the settings at every step).
        retention.sweepNow()
    }

    /// Stops taking produces, finishes the commits in flight, closes the databases and wakes every waiting fetch.
    func close(shuttingDown: Bool = false) async {
        stopping.store(shuttingDown, ordering: .releasing)
        closed.store(true, ordering: .releasing)
        await writerQueue.run()
        // A background checkpoint under way finishes before the files may be closed or deleted.
        checkpoint.close()
        await checkpoint.queue.run()
        usage.withLock { usage in
            usage.pooled.removeAll()
            usage.writerOpen = false
            openTopics.closed(self)
        }
        await writerQueue.run { self.writerSlot.value.writer = nil }
        watchIfLoaded?.wakeAll()
    }
}
