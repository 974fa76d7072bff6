import CoreMetrics
import Dispatch
import Logging
import SluiceCore
import SluiceStorage
import Synchronization

/// The broker: topics, produce with group commit, fetch with long polling, offsets and committed offsets.
///
/// It speaks in domain terms so that every protocol adapter stays thin. No method blocks its caller on SQLite:
/// admin work runs on one serial queue that owns the `Store`, appends on each topic's writer queue, and reads on a
/// concurrent read queue. Hot-path methods (`produce`, `fetch`) take completion handlers, which run on broker
/// threads; admin methods are `async`.
public final class Broker: Sendable {
    public let dataDirectory: String
    let logger: Logger
    let adminQueue = DispatchQueue(label: "sluice.admin")
    private let readQueue = DispatchQueue(label: "sluice.read", attributes: .concurrent)
    private let timerQueue = DispatchQueue(label: "sluice.timers")
    let store: Owned<Store>
    private let registry = Locked(Registry())
    let groups: GroupCoordinator
    /// Kafka's classic consumer groups (JoinGroup/SyncGroup/Heartbeat/LeaveGroup), for the Kafka adapter.
    public let classicGroups: ClassicGroupCoordinator
    /// Wakes topics for retention and compaction; see `Sweeper`.
    let sweeper: Sweeper
    /// The largest producer id handed out (the catalog's counter, mirrored): batches naming a larger one are refused.
    private let lastProducerID: Atomic<Int64>
    /// Runs backups, one at a time, off the broker's queues; see `Broker+Backup.swift`.
    let backups = BackupRunner()
    /// How backups pace themselves (`Backup.Pacing`).
    let backupPacing: Backup.Pacing

    struct Registry {
        var topics: [String: TopicHandle] = [:]
        /// Topics whose database could not be opened, with the reason (served as errors, never guessed at).
        var broken: [String: SluiceError] = [:]
        var shuttingDown = false
    }

    /// Opens the data directory (creating it when missing) and every topic in it, and sweeps each once.
    ///
    /// A topic whose database cannot be opened is logged and answered with its error; the others are served.
    /// `wallClock` (milliseconds since the Unix epoch) stamps records and judges their age; `sweeper` paces
    /// retention and compaction. Tests inject both so that nothing waits for real time.
    public init(
        dataDirectory: String, logger: Logger = Logger(label: "sluice.broker"),
        wallClock: @escaping @Sendable () -> Int64 = currentTimeMillis,
        sweeper sweeperSettings: SweeperSettings = SweeperSettings(),
        classicGroups classicSettings: ClassicGroupSettings = ClassicGroupSettings()
    ) throws(SluiceError) {
        self.dataDirectory = dataDirectory
        self.logger = logger
        self.backupPacing = Self.backupPacing(logger: logger)
        let shared = self.registry
        let sweeper = Sweeper(settings: sweeperSettings, clock: wallClock,
                              reserve: DiskReserve(path: "\(dataDirectory)/reserve")) { topic in
            guard let handle = shared.withLock({ $0.topics[topic] }) else { return false }
            handle.sweep()
            return true
        }
        self.sweeper = sweeper
        let groups = GroupCoordinator(logger: logger) { topics in
            shared.withLock { registry in
                var counts: [String: Int32] = [:]
                for topic in topics {
                    if let handle = registry.topics[topic] { counts[topic] = handle.watch.partitionCount }
                }
                return counts
            }
        }
        self.groups = groups
        // A group id belongs to one kind of group at a time: a Kafka join is refused while native members exist.
        self.classicGroups = ClassicGroupCoordinator(settings: classicSettings, logger: logger,
                                                    isForeign: { groups.hasMembers($0) })
        let store = try Store(path: dataDirectory)
        self.store = Owned(store)
        self.lastProducerID = Atomic(try store.catalog.lastProducerID())
        var opened = Registry()
        for topic in try store.topics() {
            do {
                let writer = try store.openWriter(topic.name)
                opened.topics[topic.name] = try TopicHandle(
                    name: topic.name, path: store.directory.topicPath(topic.name), config: topic.config,
                    writer: writer, retention: TopicRetention(topic: topic.name, sweeper: sweeper), logger: logger)
            } catch {
                logger.error("cannot open topic", metadata: ["topic": "\(topic.name)", "error": "\(error)"])
                opened.broken[topic.name] = SluiceError(
                    error.code, "topic '\(topic.name)' (\(store.directory.topicPath(topic.name))): \(error.message)")
            }
        }
        self.registry.withLock { $0 = opened }
        // Whatever expired while the broker was down goes now; each sweep then says when its topic is next due.
        for handle in opened.topics.values { handle.retention.sweepNow() }
    }

    // MARK: - Topic lookup

    func handle(_ name: String) throws(SluiceError) -> TopicHandle {
        let (handle, broken) = registry.withLock { ($0.topics[name], $0.broken[name]) }
        if let handle { return handle }
        if let broken { throw broken }
        throw SluiceError.unknownTopic(name)
    }

    /// Runs `body` with the store on the admin queue.
    private func admin<T: Sendable>(_ body: @escaping @Sendable (Store) throws(SluiceError) -> T) async throws(SluiceError) -> T {
        let result: Result<T, SluiceError> = await withCheckedContinuation { continuation in
            adminQueue.async {
                do throws(SluiceError) {
                    continuation.resume(returning: .success(try body(self.store.value)))
                } catch {
                    continuation.resume(returning: .failure(error))
                }
            }
        }
        return try result.get()
    }

    // MARK: - Admin

    @discardableResult
    public func createTopic(_ name: String, config: TopicConfig) async throws(SluiceError) -> TopicDescription {
        try checkRunning()
        let logger = self.logger
        let sweeper = self.sweeper
        return try await admin { store throws(SluiceError) in
            let description = try store.createTopic(name, config: config, now: sweeper.clock())
            let writer = try store.openWriter(name)
            let handle = try TopicHandle(name: name, path: store.directory.topicPath(name), config: config,
                                         writer: writer, retention: TopicRetention(topic: name, sweeper: sweeper),
                                         logger: logger)
            self.registry.withLock { $0.topics[name] = handle }
            logger.info("topic created", metadata: ["topic": "\(name)", "partitions": "\(config.partitions)"])
            return description
        }
    }

    public func deleteTopic(_ name: String) async throws(SluiceError) {
        try checkRunning()
        if registry.withLock({ $0.broken[name] != nil }) {
            // A topic whose database could not be opened: nothing is open to close, its files just go.
            try await admin { store throws(SluiceError) in
                try store.deleteTopic(name)
                self.registry.withLock { _ = $0.broken.removeValue(forKey: name) }
                self.logger.info("damaged topic deleted", metadata: ["topic": "\(name)"])
            }
            return
        }
        let handle = try handle(name)
        try await admin { _ throws(SluiceError) in
            // Removed from the registry first: from here on, new requests see an unknown topic.
            self.registry.withLock { _ = $0.topics.removeValue(forKey: name) }
        }
        sweeper.remove(name)
        await handle.close()
        let logger = self.logger
        let sweeper = self.sweeper
        try await admin { store throws(SluiceError) in
            do throws(SluiceError) {
                try store.deleteTopic(name)
                logger.info("topic deleted", metadata: ["topic": "\(name)"])
            } catch {
                // Not deleted (a full disk refuses even the catalog's mark): serve the topic again as it was.
                // If the mark did land, the topic is no longer live and the next start finishes the deletion.
                if let topic = try? store.topic(name), let writer = try? store.openWriter(name),
                   let reopened = try? TopicHandle(
                       name: name, path: store.directory.topicPath(name), config: topic.config, writer: writer,
                       retention: TopicRetention(topic: name, sweeper: sweeper), logger: logger)
                {
                    self.registry.withLock { $0.topics[name] = reopened }
                }
                throw error
            }
        }
        groups.partitionsChanged()
    }

    /// Changes a topic's settings; see `Store.alterTopic`.
    @discardableResult
    public func alterTopic(_ name: String, _ change: @escaping @Sendable (inout TopicConfig) -> Void)
        async throws(SluiceError) -> TopicDescription
    {
        try checkRunning()
        let handle = try handle(name)
        let description = try await admin { store throws(SluiceError) in try store.alterTopic(name, change) }
        handle.updateConfig(description.config)
        groups.partitionsChanged()
        return description
    }

    public func topics() async throws(SluiceError) -> [TopicDescription] {
        try await admin { store throws(SluiceError) in try store.topics() }
    }

    /// A topic's settings and partitions, with bytes stored per partition.
    public func describeTopic(_ name: String) async throws(SluiceError) -> TopicDetails {
        let handle = try handle(name)
        let description = try await admin { store throws(SluiceError) in try store.topic(name) }
        let sizes: [Int64] = try await onReadQueue { () throws(SluiceError) in
            try handle.withReader { reader throws(SluiceError) in
                try (0..<description.config.partitions).map { partition throws(SluiceError) in
                    try reader.sizeBytes(partition: partition)
                }
            }
        }
        let partitions = (0..<description.config.partitions).map { partition in
            let bounds = handle.watch.bounds(partition) ?? (0, 0)
            return PartitionDetails(partition: partition, logStartOffset: bounds.logStart,
                                    nextOffset: bounds.highWatermark, sizeBytes: sizes[Int(partition)])
        }
        return TopicDetails(description: description, partitions: partitions)
    }

    /// Partition offsets for the named topics (every topic when `nil`), from memory; unknown names get an error.
    public func metadata(_ names: [String]?) -> [(name: String, result: Result<[PartitionDetails], SluiceError>)] {
        let (topics, broken) = registry.withLock { ($0.topics, $0.broken) }
        let wanted = names ?? (Array(topics.keys) + Array(broken.keys)).sorted()
        return wanted.map { name in
            guard let handle = topics[name] else {
                return (name, .failure(broken[name] ?? .unknownTopic(name)))
            }
            let partitions = (0..<handle.watch.partitionCount).map { partition in
                let bounds = handle.watch.bounds(partition) ?? (0, 0)
                return PartitionDetails(partition: partition, logStartOffset: bounds.logStart,
                                        nextOffset: bounds.highWatermark, sizeBytes: -1)
            }
            return (name, .success(partitions))
        }
    }

    // MARK: - Produce

    /// Appends each batch to its partition; `completion` runs once, after every batch is committed or refused.
    ///
    /// Batches for one topic that arrive together share one transaction and one fsync (group commit).
    public func produce(_ batches: [ProduceBatch], completion: @escaping @Sendable ([ProduceOutcome]) -> Void) {
        if batches.isEmpty { return completion([]) }
        // One batch (the common case) needs no collector: its outcome is the answer.
        let collector = batches.count == 1
            ? nil : Collector<ProduceOutcome>(count: batches.count, completion: completion)
        let stopping = registry.withLock { $0.shuttingDown }
        for (index, batch) in batches.enumerated() {
            let report: @Sendable (Result<ProduceOutcome.Appended, SluiceError>) -> Void = { result in
                let outcome = ProduceOutcome(topic: batch.topic, partition: batch.partition, result: result)
                if let collector { collector.set(index, outcome) } else { completion([outcome]) }
            }
            if stopping {
                report(.failure(SluiceError(.shuttingDown, "the server is shutting down")))
                continue
            }
            if let sequence = batch.sequence,
               sequence.producerID < 0 || sequence.producerID > lastProducerID.load(ordering: .acquiring)
            {
                report(.failure(SluiceError(
                    .unknownProducerID, "producer id \(sequence.producerID) was never handed out by this broker")))
                continue
            }
            do throws(SluiceError) {
                try handle(batch.topic).produce(partition: batch.partition, records: batch.records,
                                                sequence: batch.sequence, completion: report)
            } catch {
                report(.failure(error))
            }
        }
    }

    /// Hands out a new idempotent producer identity (a fresh id at epoch 0), durably: ids are never reused, even
    /// after a restart or a crash.
    public func initProducerID() async throws(SluiceError) -> ProducerIdentity {
        try checkRunning()
        return try await admin { store throws(SluiceError) in
            let id = try store.catalog.nextProducerID()
            self.lastProducerID.store(id, ordering: .releasing)
            return ProducerIdentity(producerID: id, epoch: 0)
        }
    }

    /// `produce` for async callers.
    public func produce(_ batches: [ProduceBatch]) async -> [ProduceOutcome] {
        await withCheckedContinuation { continuation in
            produce(batches) { continuation.resume(returning: $0) }
        }
    }

    // MARK: - Metrics

    /// Sets every live topic's `sluice_topic_disk_bytes` gauge from its files' sizes (the sweeper also does after
    /// each sweep); call before exporting metrics.
    public func refreshDiskMetrics() {
        let handles = registry.withLock { Array($0.topics.values) }
        for handle in handles { handle.metrics.updateDiskBytes(path: handle.path) }
    }

    // MARK: - Fetch

    /// Reads each target; when there is less than `minBytes`, waits until a commit brings data to any target or
    /// `maxWaitMs` passes, then reads again. `completion` runs once, on a broker thread.
    public func fetch(_ spec: FetchSpec, completion: @escaping @Sendable ([FetchedPartition]) -> Void) {
        fetch(spec, into: [Record].self, completion: completion)
    }

    /// `fetch(_:completion:)`, with each partition's records put into a `Records` sink as they are read (e.g. encoded
    /// straight into a wire format).
    ///
    /// A fetch woken by a commit is read on the thread that committed, right after the commit: what it reads was
    /// just written, so the read is short, and the answer saves a hop through the read queue.
    public func fetch<Records: FetchRecordSink>(
        _ spec: FetchSpec, into _: Records.Type,
        completion reply: @escaping @Sendable ([FetchResult<Records>]) -> Void
    ) {
        let completion: @Sendable ([FetchResult<Records>]) -> Void = { results in
            var records = 0, bytes = 0
            for result in results {
                records += result.recordCount
                bytes += result.bytes
            }
            if records > 0 {
                BrokerMetrics.fetchedRecords.increment(by: records)
                BrokerMetrics.fetchedBytes.increment(by: bytes)
            }
            reply(results)
        }
        readQueue.async {
            let results: [FetchResult<Records>] = self.read(spec)
            let bytes = results.reduce(0) { $0 + $1.bytes }
            let waitable = results.contains { $0.error == nil }
            if bytes >= max(spec.minBytes, 1) || spec.maxWaitMs <= 0 || !waitable || self.isShuttingDown {
                return completion(results)
            }
            let waiter = FetchWaiter { context in
                switch context {
                case .inline: completion(self.read(spec))
                case .deferred: self.readQueue.async { completion(self.read(spec)) }
                }
            }
            for (target, result) in zip(spec.targets, results) where result.error == nil {
                guard let handle = try? self.handle(target.topic) else { continue }
                // Wait past what was read (offsets may have gaps where compaction removed records).
                handle.watch.wait(waiter, partition: target.partition, offset: result.nextOffset ?? target.offset)
            }
            waiter.setTimeout(after: spec.maxWaitMs, on: self.timerQueue)
        }
    }

    public func fetch(_ spec: FetchSpec) async -> [FetchedPartition] {
        await withCheckedContinuation { continuation in
            fetch(spec) { continuation.resume(returning: $0) }
        }
    }

    /// Wire bytes a stored record takes besides its key, value and headers (offset, timestamp, lengths).
    static let recordOverheadBytes = 32

    /// Reads every target once, within the request's byte budget. Runs on the read queue (or, for a fetch a
    /// commit woke, on the writer queue right after the commit).
    private func read<Records: FetchRecordSink>(_ spec: FetchSpec) -> [FetchResult<Records>] {
        var budget = spec.maxBytes
        return spec.targets.map { target in
            var fetched = FetchResult<Records>(
                topic: target.topic, partition: target.partition, records: Records(expectedBytes: 0),
                recordCount: 0, bytes: 0, nextOffset: nil)
            do throws(SluiceError) {
                let handle = try handle(target.topic)
                guard let bounds = handle.watch.bounds(target.partition) else {
                    throw SluiceError.unknownPartition(target.topic, target.partition, count: handle.watch.partitionCount)
                }
                fetched.logStartOffset = bounds.logStart
                fetched.highWatermark = bounds.highWatermark
                if target.offset < bounds.logStart || target.offset > bounds.highWatermark {
                    throw SluiceError(
                        .offsetOutOfRange,
                        "offset \(target.offset) is out of range for \(target.topic)[\(target.partition)]: "
                            + "it holds \(bounds.logStart) to \(bounds.highWatermark)")
                }
                // Nothing committed past the offset: answer from memory without touching SQLite.
                guard target.offset < bounds.highWatermark, budget > 0 else {
                    return fetched
                }
                let limit = max(1, min(target.maxBytes, budget))
                // Every record costs framing on the wire besides its data: cap the count so that tiny records
                // cannot make a response many times larger than asked for.
                let maxRecords = max(1, limit / Self.recordOverheadBytes)
                try handle.withReader { reader throws(SluiceError) in
                    // At most what was committed past the offset (a fetch woken by a commit reads little).
                    let pending = bounds.highWatermark - target.offset
                    var records = Records(expectedBytes: pending >= Int64(limit) ? limit : min(limit, Int(pending) * 100))
                    var count = 0, bytes = 0
                    var last: Int64?
                    // The reader's snapshot may already hold a commit whose completion has not yet raised the
                    // published high watermark: return nothing past the watermark, or the consumer's next fetch
                    // would start beyond what the broker admits to and be refused as out of range.
                    let summary = try reader.read(partition: target.partition, from: target.offset,
                                                  maxRecords: maxRecords, maxBytes: limit) { view in
                        guard view.offset < bounds.highWatermark else { return }
                        records.append(offset: view.offset, timestamp: view.timestamp, key: view.key,
                                       value: view.value, headers: view.headers)
                        count += 1
                        bytes += view.sizeInBytes
                        last = view.offset
                    }
                    fetched.records = records
                    fetched.recordCount = count
                    fetched.bytes = bytes
                    fetched.nextOffset = last.map { $0 + 1 }
                    fetched.logStartOffset = max(summary.logStartOffset, bounds.logStart)
                    budget -= summary.bytes
                }
            } catch {
                fetched.error = error
            }
            return fetched
        }
    }

    // MARK: - Offsets

    /// One `listOffsets` answer: the offset found (with its record's timestamp for a time lookup, else -1).
    public struct ListedOffset: Sendable {
        public var topic: String
        public var partition: Int32
        public var result: Result<(offset: Int64, timestamp: Int64), SluiceError>
    }

    public func listOffsets(_ queries: [(topic: String, partition: Int32, spec: OffsetSpec)]) async -> [ListedOffset] {
        let answers: [ListedOffset] = await onReadQueue {
            queries.map { query in
                let result: Result<(offset: Int64, timestamp: Int64), SluiceError>
                do throws(SluiceError) {
                    let handle = try self.handle(query.topic)
                    guard let bounds = handle.watch.bounds(query.partition) else {
                        throw SluiceError.unknownPartition(query.topic, query.partition, count: handle.watch.partitionCount)
                    }
                    switch query.spec {
                    case .earliest: result = .success((bounds.logStart, -1))
                    case .latest: result = .success((bounds.highWatermark, -1))
                    case .timestamp(let time):
                        let found = try handle.withReader { reader throws(SluiceError) in
                            try reader.offset(partition: query.partition, atOrAfter: time)
                        }
                        result = .success(found.map { ($0.offset, $0.timestamp) } ?? (bounds.highWatermark, -1))
                    }
                } catch {
                    result = .failure(error)
                }
                return ListedOffset(topic: query.topic, partition: query.partition, result: result)
            }
        }
        return answers
    }

    /// Stores a group's committed offsets (with their metadata strings). Offsets for unknown topics or partitions
    /// are refused one by one, and so are offsets the member may not commit. For a native group, a member must be
    /// in the group at its current generation and own the partition; a commit from outside (`memberID` empty,
    /// `generation` -1) is accepted only while the group is empty. For a Kafka classic group the coordinator holds,
    /// `ClassicGroup.checkCommit` decides (its refusals map to `.unknownMember`, `.staleGeneration` and
    /// `.rebalanceInProgress`; see `ClassicGroupError.sluiceError`).
    public func commitOffsets(group: String, memberID: String = "", generation: Int32 = -1,
                              _ offsets: [CommittedOffset]) async throws(SluiceError)
        -> [(CommittedOffset, SluiceError?)]
    {
        try checkRunning()
        if group.isEmpty { throw SluiceError(.invalidArgument, "group id is empty") }
        let permissions: [SluiceError?]
        if let classic = classicGroups.permission(groupID: group, generation: generation, memberID: memberID) {
            let refusal: SluiceError? = switch classic {
            case .success: nil
            case .failure(let error): error.sluiceError
            }
            permissions = offsets.map { _ in refusal }
        } else {
            permissions = groups.checkCommit(
                group: group, memberID: memberID, generation: generation,
                partitions: offsets.map { TopicPartition(topic: $0.topic, partition: $0.partition) })
        }
        var checked: [(CommittedOffset, SluiceError?)] = []
        for (offset, permission) in zip(offsets, permissions) {
            do throws(SluiceError) {
                if let permission { throw permission }
                let handle = try handle(offset.topic)
                guard offset.partition >= 0, offset.partition < handle.watch.partitionCount else {
                    throw SluiceError.unknownPartition(offset.topic, offset.partition, count: handle.watch.partitionCount)
                }
                if offset.offset < 0 { throw SluiceError(.invalidArgument, "offset \(offset.offset) is negative") }
                checked.append((offset, nil))
            } catch {
                checked.append((offset, error))
            }
        }
        let valid = checked.compactMap { $0.1 == nil ? $0.0 : nil }
        if !valid.isEmpty {
            try await admin { store throws(SluiceError) in
                try store.catalog.commitOffsets(group: group, valid, now: currentTimeMillis())
            }
        }
        return checked
    }

    /// A group's committed offsets, for the given topics (every topic when `nil`).
    public func committedOffsets(group: String, topics: [String]? = nil) async throws(SluiceError) -> [CommittedOffset] {
        try await admin { store throws(SluiceError) in
            let all = try store.catalog.committedOffsets(group: group)
            guard let topics else { return all }
            return all.filter { topics.contains($0.topic) }
        }
    }

    public func groups() async throws(SluiceError) -> [String] {
        try await admin { store throws(SluiceError) in try store.catalog.groups() }
    }

    @discardableResult
    public func deleteGroupOffsets(_ group: String) async throws(SluiceError) -> Int {
        try await admin { store throws(SluiceError) in try store.catalog.deleteGroup(group) }
    }

    // MARK: - Lifecycle

    private var isShuttingDown: Bool { registry.withLock { $0.shuttingDown } }

    func checkRunning() throws(SluiceError) {
        if isShuttingDown { throw SluiceError(.shuttingDown, "the server is shutting down") }
    }

    /// Refuses new work, finishes every commit in flight, answers waiting fetches and closes the databases.
    public func shutdown() async {
        let handles = registry.withLock { registry -> [TopicHandle] in
            registry.shuttingDown = true
            return Array(registry.topics.values)
        }
        sweeper.stop()
        classicGroups.stop()
        await backups.stop()
        for handle in handles { await handle.close(shuttingDown: true) }
        logger.info("broker stopped", metadata: ["topics": "\(handles.count)"])
    }

    private func onReadQueue<T: Sendable>(_ body: @escaping @Sendable () throws(SluiceError) -> T) async throws(SluiceError) -> T {
        let result: Result<T, SluiceError> = await withCheckedContinuation { continuation in
            readQueue.async {
                do throws(SluiceError) {
                    continuation.resume(returning: .success(try body()))
                } catch {
                    continuation.resume(returning: .failure(error))
                }
            }
        }
        return try result.get()
    }

    private func onReadQueue<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            readQueue.async { continuation.resume(returning: body()) }
        }
    }
}

/// A `Mutex` in a class, so closures can share it.
final class Locked<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>

    init(_ value: Value) {
        mutex = Mutex(value)
    }

    func withLock<T>(_ body: (inout Value) throws -> T) rethrows -> T {
        try mutex.withLock { try body(&$0) }
    }
}

/// Gathers `count` results filled in any order from any thread, then calls `completion` once with all of them.
final class Collector<Element: Sendable>: Sendable {
    private let state: Mutex<(results: [Element?], remaining: Int)>
    private let completion: @Sendable ([Element]) -> Void

    init(count: Int, completion: @escaping @Sendable ([Element]) -> Void) {
        state = Mutex((Array(repeating: nil, count: count), count))
        self.completion = completion
    }

    func set(_ index: Int, _ element: Element) {
        let done: [Element]? = state.withLock { state in
            state.results[index] = element
            state.remaining -= 1
            return state.remaining == 0 ? state.results.map { $0! } : nil
        }
        if let done { completion(done) }
    }
}
