import NIOCore
import NIOPosix
import SluiceCore
import SluiceProtocol
import Synchronization

/// Sends records to topics in batches, on a connection of its own, with retries and per-partition ordering.
///
/// Partitioning: an explicit partition wins; else a keyed record goes to Kafka's murmur2 partition of its key; else
/// keyless records stick to one partition until a batch of it is full or sent, then move to the next. Partition
/// counts come from the server once per topic and are looked up again after `.unknownPartition`.
///
/// Guarantees: records of one partition are stored and acknowledged in the order they were sent, retries included.
/// A record is acknowledged once with its offset, or fails with the error that stopped it: `.unknownTopic` (topics
/// are never created automatically), `.unknownPartition`, `.messageTooLarge`, or a retriable error that lasted
/// beyond `retries`. Idempotent (the default): the producer gets an id from the server on first use and numbers
/// its batches per partition, so a batch sent again after a lost connection, a timeout or a server crash is stored
/// once; up to `maxInFlightPerPartition` batches of a partition are in flight at once. Not idempotent: one batch
/// per partition in flight, and a retried batch may be stored twice (at-least-once).
public final class Producer: Sendable {
    public let configuration: ProducerConfiguration
    private let handle: ConnectionHandle
    private let eventLoop: any EventLoop
    private let state: Mutex<RecordAccumulator>
    /// Requests made by the state machine, by ticket, until sent in ticket order from `eventLoop`.
    private let outbox = Mutex<(next: Int, pending: [Int: [ProducerBatch]])>((0, [:]))

    /// The largest request sent; the server's default frame limit.
    static let maxRequestBytes = 16 << 20

    init(handle: ConnectionHandle, configuration: ProducerConfiguration) {
        precondition(configuration.batchSize > 0, "batchSize must be positive")
        precondition(configuration.maxInFlightRequests > 0, "maxInFlightRequests must be positive")
        self.configuration = configuration
        self.handle = handle
        self.eventLoop = handle.eventLoopGroup.next()
        self.state = Mutex(
            RecordAccumulator(configuration: configuration, maxRequestBytes: Self.maxRequestBytes - 1024))
    }

    /// Connects a producer to the server listening on `socketPath`; throws `.connectionClosed` if none does.
    public static func connect(
        socketPath: String, configuration: ProducerConfiguration = ProducerConfiguration(),
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws(SluiceError) -> Producer {
        Producer(
            handle: try await ConnectionHandle.connect(socketPath: socketPath, eventLoopGroup: eventLoopGroup),
            configuration: configuration)
    }

    // MARK: - Sending

    /// Enqueues a record and returns at once; `completion` runs once the record is acknowledged or has failed.
    ///
    /// Completions of one partition run in offset order, on an event-loop thread: they must return quickly. The
    /// buffer is unbounded: a caller that enqueues faster than the server stores should `await waitForCapacity()`.
    public func send(
        _ record: ProducerRecord, topic: String, partition: Int32? = nil,
        completion: @escaping @Sendable (Result<RecordMetadata, SluiceError>) -> Void
    ) {
        let now = NIODeadline.now()
        perform(
            state.withLock { $0.enqueue(record, topic: topic, partition: partition, completion: completion, now: now) })
    }

    /// Sends a record and returns where it was stored, once acknowledged.
    public func send(_ record: ProducerRecord, topic: String, partition: Int32? = nil) async throws(SluiceError)
        -> RecordMetadata
    {
        let result = await withCheckedContinuation {
            (continuation: CheckedContinuation<Result<RecordMetadata, SluiceError>, Never>) in
            send(record, topic: topic, partition: partition) { continuation.resume(returning: $0) }
        }
        return try result.get()
    }

    /// The topic's partition count (cached after the first lookup); throws `.unknownTopic`.
    public func partitionCount(topic: String) async throws(SluiceError) -> Int32 {
        let result = await withCheckedContinuation {
            (continuation: CheckedContinuation<Result<Int32, SluiceError>, Never>) in
            perform(state.withLock { $0.partitionCount(topic: topic) { continuation.resume(returning: $0) } })
        }
        return try result.get()
    }

    /// Returns once fewer than `maxBufferedRecords` records are waiting for acknowledgement.
    public func waitForCapacity() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            perform(state.withLock { $0.waitForCapacity(continuation) })
        }
    }

    /// Records enqueued and not yet acknowledged or failed.
    public var bufferedRecords: Int { state.withLock { $0.bufferedRecords } }

    /// Sends everything enqueued without lingering, and returns once all of it is acknowledged or failed.
    public func flush() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            perform(state.withLock { $0.flush(continuation) })
        }
    }

    /// Flushes, then closes the connection. Later sends fail with `.connectionClosed`.
    public func close() async {
        state.withLock { $0.close() }
        await flush()
        await handle.close()
    }

    // MARK: - Performing the state machine's actions

    private func perform(_ actions: ProducerActions) {
        let acksNone = configuration.acks == .none
        for (batch, baseOffset, appendTime) in actions.succeeded {
            let tp = batch.topicPartition
            for index in batch.records.indices {
                let metadata =
                    acksNone || baseOffset < 0
                    ? RecordMetadata(topic: tp.topic, partition: tp.partition, offset: -1, timestamp: -1)
                    : RecordMetadata(
                        topic: tp.topic, partition: tp.partition, offset: baseOffset + Int64(index),
                        timestamp: batch.records[index].timestamp ?? appendTime)
                batch.completions[index](.success(metadata))
            }
        }
        for (batch, error) in actions.failedBatches {
            for completion in batch.completions { completion(.failure(error)) }
        }
        for (completion, error) in actions.failedRecords { completion(.failure(error)) }
        for (waiter, result) in actions.countAnswers { waiter(result) }
        for continuation in actions.resumed { continuation.resume() }
        if !actions.requests.isEmpty { post(actions.requests, from: actions.firstRequestTicket) }
        if let deadline = actions.lingerTimer {
            eventLoop.scheduleTask(deadline: deadline) { self.timerFired() }
        }
        for (tp, delay) in actions.retryTimers {
            eventLoop.scheduleTask(in: delay) { self.perform(self.state.withLock { $0.retryDue(tp) }) }
        }
        for delay in actions.identityLoads {
            if delay == .zero {
                loadIdentity()
            } else {
                eventLoop.scheduleTask(in: delay) { self.loadIdentity() }
            }
        }
        for (topic, delay) in actions.metadataLoads {
            if delay == .zero {
                loadMetadata(topic)
            } else {
                eventLoop.scheduleTask(in: delay) { self.loadMetadata(topic) }
            }
        }
    }

    private func timerFired() {
        let now = NIODeadline.now()
        perform(state.withLock { $0.timerFired(now: now) })
    }

    /// Sends requests in the order the state machine made them (their tickets), whichever thread performs them:
    /// a partition's batches in flight must reach the server in sequence. Every send runs on `eventLoop`, so sends
    /// reach the connection in the order they are made.
    private func post(_ requests: [[ProducerBatch]], from ticket: Int) {
        outbox.withLock { outbox in
            for (index, request) in requests.enumerated() { outbox.pending[ticket + index] = request }
        }
        eventLoop.execute {
            while let request = self.outbox.withLock({ outbox -> [ProducerBatch]? in
                guard let request = outbox.pending.removeValue(forKey: outbox.next) else { return nil }
                outbox.next += 1
                return request
            }) {
                self.send(request)
            }
        }
    }

    private func send(_ batches: [ProducerBatch]) {
        let request = ProduceRequest(
            acks: configuration.acks.wireAcks, timeoutMs: Int32(clamping: configuration.requestTimeoutMs),
            topics: grouped(batches.map { ($0.topicPartition, $0) }) {
                ProduceRequest.Partition(partition: $0, records: $1.records, sequence: $1.sequence)
            })
        handle.send(.produce(request)) { result in
            let response = result.flatMap { response -> Result<ProduceResponse, SluiceError> in
                guard case .produce(let produce) = response else { return .failure(SluiceClient.unexpected(.produce)) }
                return .success(produce)
            }
            self.perform(self.state.withLock { $0.completed(batches, response) })
        }
    }

    private func loadIdentity() {
        handle.send(.initProducerID(InitProducerIDRequest())) { result in
            let identity = result.flatMap { response -> Result<ProducerIdentity, SluiceError> in
                guard case .initProducerID(let answer) = response else {
                    return .failure(SluiceClient.unexpected(.initProducerID))
                }
                return .success(ProducerIdentity(producerID: answer.producerID, epoch: answer.epoch))
            }
            self.perform(self.state.withLock { $0.identityLoaded(identity) })
        }
    }

    private func loadMetadata(_ topic: String) {
        handle.send(.describeTopic(DescribeTopicRequest(name: topic))) { result in
            let info = result.flatMap { response -> Result<TopicInfo, SluiceError> in
                guard case .describeTopic(let description) = response else {
                    return .failure(SluiceClient.unexpected(.describeTopic))
                }
                let maxMessageBytes =
                    (try? description.topicConfig())?.maxMessageBytes
                    ?? TopicConfig.defaultMaxMessageBytes
                return .success(TopicInfo(partitionCount: description.partitionCount, maxMessageBytes: maxMessageBytes))
            }
            let now = NIODeadline.now()
            self.perform(self.state.withLock { $0.metadataLoaded(topic, info, now: now) })
        }
    }
}
