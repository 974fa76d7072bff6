import NIOCore
import SluiceCore
import SluiceProtocol

typealias RecordCompletion = @Sendable (Result<RecordMetadata, SluiceError>) -> Void
typealias PartitionCountWaiter = @Sendable (Result<Int32, SluiceError>) -> Void

/// What the producer needs to know about a topic to partition and check records.
struct TopicInfo: Sendable, Hashable {
    var partitionCount: Int32
    var maxMessageBytes: Int
}

/// The producer's state machine: queues records per partition, decides when a batch is sent, and what follows a
/// response, a timer or a metadata answer. No I/O: every method returns the actions for `Producer` to perform.
///
/// Rules: one batch per partition is in flight (or waiting to be retried) at a time, so batches of a partition are
/// committed and acknowledged in order, and a retried batch is never overtaken; partitions proceed in parallel, up to
/// `maxInFlightRequests` requests. A batch is sent when it holds `batchSize` records or `maxBatchBytes`, when its
/// oldest record has lingered `lingerMs`, when a flush asks, or at once when the partition's previous batch
/// completes (those records have waited already).
struct RecordAccumulator {
    struct TopicState {
        var info: TopicInfo?
        /// The partition keyless records go to until a batch of it fills or is sent.
        var sticky: Int32 = 0
        var loading = false
        var loadRetries = 0
        /// Records that arrived while the topic's metadata was being (re)loaded, in order, with any explicit partition.
        var waiting: [(record: QueuedRecord, partition: Int32?)] = []
        var countWaiters: [PartitionCountWaiter] = []

        /// Moves keyless records on to the next partition (if `from` is the current one).
        mutating func advanceSticky(from partition: Int32? = nil) {
            guard let count = info?.partitionCount, count > 1, partition == nil || partition == sticky else { return }
            sticky = (sticky + 1) % count
        }
    }

    let configuration: ProducerConfiguration
    /// Room left in a request for headers and topic and partition fields.
    let maxRequestBytes: Int
    var topics: [String: TopicState] = [:]
    var partitions: [TopicPartition: PartitionQueue] = [:]
    /// Idle partitions whose records are lingering.
    var lingering: Set<TopicPartition> = []
    /// Partitions with a batch to send, in the order they became ready.
    var ready = CircularBuffer<TopicPartition>()
    var inFlightRequests = 0
    /// The deadline of the linger timer armed last, if it has not fired.
    var timerDeadline: NIODeadline?
    var flushes = FlushTracker<CheckedContinuation<Void, Never>>()
    var closed = false

    init(configuration: ProducerConfiguration, maxRequestBytes: Int) {
        self.configuration = configuration
        self.maxRequestBytes = maxRequestBytes
    }

    // MARK: - Enqueueing

    mutating func enqueue(
        _ record: ProducerRecord, topic: String, partition: Int32?, completion: @escaping RecordCompletion,
        now: NIODeadline
    ) -> ProducerActions {
        var actions = ProducerActions()
        if closed {
            actions.failedRecords.append((completion, SluiceError(.connectionClosed, "the producer is closed")))
            return actions
        }
        if let partition, partition < 0 {
            actions.failedRecords.append((completion, SluiceError(.invalidArgument, "partition \(partition) is negative")))
            return actions
        }
        let queued = QueuedRecord(record, epoch: flushes.add(), completion: completion)
        if queued.wireBytes > maxRequestBytes {
            fail(queued, SluiceError(
                .messageTooLarge,
                "a record of \(record.sizeInBytes) bytes does not fit in a request of \(maxRequestBytes) bytes"),
                &actions)
            return actions
        }
        if let info = topics[topic]?.info, (partition ?? 0) < info.partitionCount {
            route(queued, topic: topic, partition: partition, info: info, now: now, &actions)
        } else {
            // Unknown yet, being loaded, or an explicit partition beyond the count we know (it may have grown).
            topics[topic, default: TopicState()].waiting.append((queued, partition))
            startLoading(topic, &actions)
        }
        return actions
    }

    /// The topic's partition count, from the cache or once loaded.
    mutating func partitionCount(topic: String, waiter: @escaping PartitionCountWaiter) -> ProducerActions {
        var actions = ProducerActions()
        if let info = topics[topic]?.info {
            actions.countAnswers.append((waiter, .success(info.partitionCount)))
        } else {
            topics[topic, default: TopicState()].countWaiters.append(waiter)
            startLoading(topic, &actions)
        }
        return actions
    }

    private mutating func startLoading(_ topic: String, _ actions: inout ProducerActions) {
        guard topics[topic]?.loading != true else { return }
        topics[topic, default: TopicState()].loading = true
        topics[topic]!.info = nil
        actions.metadataLoads.append((topic, .zero))
    }

    /// Puts a record into its partition's queue and sends the partition's batch if it is due.
    private mutating func route(
        _ queued: QueuedRecord, topic: String, partition explicit: Int32?, info: TopicInfo, now: NIODeadline,
        _ actions: inout ProducerActions
    ) {
        if queued.wireBytes > info.maxMessageBytes, queued.record.sizeInBytes > info.maxMessageBytes {
            fail(queued, SluiceError(
                .messageTooLarge,
                "a record of \(queued.record.sizeInBytes) bytes exceeds topic '\(topic)' max.message.bytes of "
                    + "\(info.maxMessageBytes)"), &actions)
            return
        }
        let partition: Int32
        let keyless = explicit == nil && queued.record.key == nil
        if let explicit {
            partition = explicit
        } else if let key = queued.record.key {
            partition = KafkaPartitioner.partition(forKey: key, partitions: info.partitionCount)
        } else {
            partition = topics[topic]?.sticky ?? 0
        }
        let tp = TopicPartition(topic: topic, partition: partition)
        let flushing = flushes.isFlushing
        let (lingerMs, batchSize, maxBatchBytes) =
            (configuration.lingerMs, configuration.batchSize, configuration.maxBatchBytes)
        let (full, next) = withQueue(tp) { queue -> (Bool, NextStep) in
            let full = queue.append(queued, batchSize: batchSize, maxBatchBytes: maxBatchBytes)
            if queue.busy || queue.isReady { return (full, .wait) }
            if full || lingerMs <= 0 || flushing { return (full, .send) }
            if queue.lingerDeadline != nil { return (full, .wait) }
            let deadline = now + .milliseconds(Int64(lingerMs))
            queue.lingerDeadline = deadline
            return (full, .linger(deadline))
        }
        if keyless && full { topics[topic]?.advanceSticky() }
        switch next {
        case .wait:
            break
        case .send:
            markReady(tp)
            dispatch(&actions)
        case .linger(let deadline):
            lingering.insert(tp)
            armTimer(deadline, &actions)
        }
    }

    private enum NextStep {
        case wait, send, linger(NIODeadline)
    }

    /// Runs `body` on the partition's queue in place (one hash lookup; no copy of the queue).
    private mutating func withQueue<R>(_ tp: TopicPartition, _ body: (inout PartitionQueue) -> R) -> R {
        body(&partitions[tp, default: PartitionQueue()])
    }

    private mutating func armTimer(_ deadline: NIODeadline, _ actions: inout ProducerActions) {
        if let armed = timerDeadline, armed <= deadline { return }
        timerDeadline = deadline
        actions.lingerTimer = deadline
    }

    // MARK: - Sending

    private mutating func markReady(_ tp: TopicPartition) {
        withQueue(tp) { $0.markReady() }
        lingering.remove(tp)
        ready.append(tp)
    }

    /// Turns ready partitions into requests while request slots are free; several partitions share a request up
    /// to the request size limit.
    private mutating func dispatch(_ actions: inout ProducerActions) {
        let (batchSize, maxBatchBytes) = (configuration.batchSize, configuration.maxBatchBytes)
        while inFlightRequests < configuration.maxInFlightRequests, !ready.isEmpty {
            var request: [ProducerBatch] = []
            var bytes = 0
            while let tp = ready.first {
                let next = partitions[tp]?.nextBatchBytes(maxBatchBytes: configuration.maxBatchBytes) ?? 0
                if !request.isEmpty, bytes + next > maxRequestBytes { break }
                ready.removeFirst()
                let batch = withQueue(tp) { $0.takeBatch(tp, batchSize: batchSize, maxBatchBytes: maxBatchBytes) }
                topics[tp.topic]?.advanceSticky(from: tp.partition)
                bytes += batch.wireBytes
                request.append(batch)
            }
            inFlightRequests += 1
            actions.requests.append(request)
        }
    }

    // MARK: - Events

    /// A produce request's outcome: the response, or the error that ended the whole request.
    mutating func completed(_ batches: [ProducerBatch], _ result: Result<ProduceResponse, SluiceError>)
        -> ProducerActions
    {
        var actions = ProducerActions()
        inFlightRequests -= 1
        for batch in batches {
            switch result {
            case .failure(let error):
                finish(batch, .failure(error), &actions)
            case .success(let response):
                finish(batch, Self.outcome(of: batch.topicPartition, in: response), &actions)
            }
        }
        dispatch(&actions)
        return actions
    }

    private static func outcome(of tp: TopicPartition, in response: ProduceResponse)
        -> Result<(baseOffset: Int64, appendTime: Int64), SluiceError>
    {
        for topic in response.topics where topic.name == tp.topic {
            for partition in topic.partitions where partition.partition == tp.partition {
                if let error = partition.error { return .failure(error) }
                return .success((partition.baseOffset, partition.logAppendTime))
            }
        }
        return .failure(SluiceError(.unknown, "the produce response does not mention \(tp)"))
    }

    private mutating func finish(
        _ batch: ProducerBatch, _ outcome: Result<(baseOffset: Int64, appendTime: Int64), SluiceError>,
        _ actions: inout ProducerActions
    ) {
        let tp = batch.topicPartition
        switch outcome {
        case .success(let appended):
            actions.succeeded.append((batch, appended.baseOffset, appended.appendTime))
        case .failure(let error):
            if error.code == .unknownTopic || error.code == .unknownPartition {
                // Deleted, or re-created smaller: the next record of the topic looks it up again.
                if topics[tp.topic]?.loading == false { topics[tp.topic]?.info = nil }
            }
            if error.code.isRetriable, batch.retries < configuration.retries {
                var retry = batch
                retry.retries += 1
                partitions[tp]?.retry = retry
                actions.retryTimers.append((tp, .milliseconds(Int64(configuration.backoff(attempt: retry.retries)))))
                return
            }
            actions.failedBatches.append((batch, error))
        }
        release(batch.epochs, &actions)
        let more = withQueue(tp) { queue -> Bool in
            queue.busy = false
            return !queue.queue.isEmpty
        }
        if more { markReady(tp) }
    }

    /// A retry's back-off has passed: the partition's batch goes out again.
    mutating func retryDue(_ tp: TopicPartition) -> ProducerActions {
        var actions = ProducerActions()
        guard partitions[tp]?.retry != nil, partitions[tp]?.isReady == false else { return actions }
        markReady(tp)
        dispatch(&actions)
        return actions
    }

    /// The linger timer fired: partitions whose records have lingered enough are sent.
    mutating func timerFired(now: NIODeadline) -> ProducerActions {
        var actions = ProducerActions()
        if let armed = timerDeadline, armed <= now { timerDeadline = nil }
        var next: NIODeadline?
        for tp in lingering {
            guard let deadline = partitions[tp]?.lingerDeadline else { continue }
            if deadline <= now {
                markReady(tp)
            } else {
                next = min(next ?? deadline, deadline)
            }
        }
        if let next { armTimer(next, &actions) }
        dispatch(&actions)
        return actions
    }

    /// A metadata lookup finished: records that waited for it are routed, or fail with its error.
    mutating func metadataLoaded(_ topic: String, _ result: Result<TopicInfo, SluiceError>, now: NIODeadline)
        -> ProducerActions
    {
        var actions = ProducerActions()
        guard var state = topics.removeValue(forKey: topic) else { return actions }
        switch result {
        case .success(let info):
            if state.info == nil || state.sticky >= info.partitionCount {
                state.sticky = Int32.random(in: 0..<max(info.partitionCount, 1))
            }
            state.info = info
            state.loading = false
            state.loadRetries = 0
            let waiting = state.waiting
            state.waiting = []
            for waiter in state.countWaiters { actions.countAnswers.append((waiter, .success(info.partitionCount))) }
            state.countWaiters = []
            topics[topic] = state
            for (queued, explicit) in waiting {
                if let explicit, explicit >= info.partitionCount {
                    fail(queued, .unknownPartition(topic, explicit, count: info.partitionCount), &actions)
                } else {
                    route(queued, topic: topic, partition: explicit, info: info, now: now, &actions)
                }
            }
        case .failure(let error):
            if error.code.isRetriable, state.loadRetries < configuration.retries {
                state.loadRetries += 1
                topics[topic] = state
                actions.metadataLoads.append(
                    (topic, .milliseconds(Int64(configuration.backoff(attempt: state.loadRetries)))))
                return actions
            }
            for (queued, _) in state.waiting { fail(queued, error, &actions) }
            for waiter in state.countWaiters { actions.countAnswers.append((waiter, .failure(error))) }
        }
        return actions
    }

    // MARK: - Flush, capacity, close

    /// Sends everything queued without waiting for linger; `waiter` resumes once every record enqueued so far is
    /// acknowledged or failed.
    mutating func flush(_ waiter: CheckedContinuation<Void, Never>) -> ProducerActions {
        var actions = ProducerActions()
        if let resume = flushes.addFlushWaiter(waiter) { actions.resumed.append(resume) }
        for tp in lingering { markReady(tp) }
        dispatch(&actions)
        return actions
    }

    /// Resumes `waiter` once fewer than `maxBufferedRecords` records are unacknowledged.
    mutating func waitForCapacity(_ waiter: CheckedContinuation<Void, Never>) -> ProducerActions {
        var actions = ProducerActions()
        if let resume = flushes.addCapacityWaiter(waiter, limit: configuration.maxBufferedRecords) {
            actions.resumed.append(resume)
        }
        return actions
    }

    var bufferedRecords: Int { flushes.outstanding }

    mutating func close() {
        closed = true
    }

    private mutating func fail(_ queued: QueuedRecord, _ error: SluiceError, _ actions: inout ProducerActions) {
        actions.failedRecords.append((queued.completion, error))
        release([queued.epoch], &actions)
    }

    private mutating func release(_ epochs: [Int], _ actions: inout ProducerActions) {
        actions.resumed.append(contentsOf: flushes.remove(epochs, capacityLimit: configuration.maxBufferedRecords))
    }
}

/// What `Producer` must do after a state change, in this order: tell record owners and waiters, then send, then arm
/// timers and start lookups.
struct ProducerActions: Sendable {
    var succeeded: [(batch: ProducerBatch, baseOffset: Int64, appendTime: Int64)] = []
    var failedBatches: [(batch: ProducerBatch, error: SluiceError)] = []
    var failedRecords: [(completion: RecordCompletion, error: SluiceError)] = []
    var countAnswers: [(waiter: PartitionCountWaiter, result: Result<Int32, SluiceError>)] = []
    var resumed: [CheckedContinuation<Void, Never>] = []
    var requests: [[ProducerBatch]] = []
    var lingerTimer: NIODeadline?
    var retryTimers: [(TopicPartition, TimeAmount)] = []
    var metadataLoads: [(topic: String, delay: TimeAmount)] = []
}
