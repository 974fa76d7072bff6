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
/// Rules: up to `maxInFlightPerPartition` batches of a partition are in flight at once when idempotent (one
/// otherwise); they are committed and acknowledged in order, and after a failure the partition's batches are sent
/// again in order before anything new (see `PartitionQueue.settle`). Partitions proceed in parallel, up to
/// `maxInFlightRequests` requests. A batch is sent when it holds `batchSize` records or `maxBatchBytes`, when its
/// oldest record has lingered `lingerMs`, when a flush asks, or at once when one of the partition's batches in
/// flight completes (those records have waited already). With `lingerMs` 0 a record goes at once to a partition
/// with nothing in flight; behind a batch in flight it waits for a full batch or an answer, so the window does
/// not fill with batches of a few records. An idempotent producer first asks the server for its identity; nothing
/// is sent before it has one.
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
    /// The idempotent producer's identity once the server gave it; see `IdentityState`.
    var identity = IdentityState.none
    /// The id the next new batch gets.
    var nextBatchID = 0
    /// Requests are numbered in the order this state machine makes them; `Producer` sends them in that order.
    var nextRequestTicket = 0

    /// The batches of one partition that may be in flight at once: one without idempotence (a retry must not be
    /// overtaken), else `maxInFlightPerPartition`.
    var partitionWindow: Int {
        if case .disabled = identity { return 1 }
        return max(configuration.maxInFlightPerPartition, 1)
    }

    enum IdentityState {
        /// Not asked for yet (or asking failed and records failed with it).
        case none
        case loading(attempt: Int)
        case ready(ProducerIdentity)
        /// Not idempotent: configured so, or the server does not support it.
        case disabled
    }

    init(configuration: ProducerConfiguration, maxRequestBytes: Int) {
        self.configuration = configuration
        self.maxRequestBytes = maxRequestBytes
        self.identity = configuration.idempotent ? .none : .disabled
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
            actions.failedRecords.append(
                (completion, SluiceError(.invalidArgument, "partition \(partition) is negative")))
            return actions
        }
        let queued = QueuedRecord(record, epoch: flushes.add(), completion: completion)
        if queued.wireBytes > maxRequestBytes {
            fail(
                queued,
                SluiceError(
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
            fail(
                queued,
                SluiceError(
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
        let (lingerMs, batchSize, maxBatchBytes, window) =
            (configuration.lingerMs, configuration.batchSize, configuration.maxBatchBytes, partitionWindow)
        let (full, next) = withQueue(tp) { queue -> (Bool, NextStep) in
            let full = queue.append(queued, batchSize: batchSize, maxBatchBytes: maxBatchBytes)
            if !queue.canSend(window: window) { return (full, .wait) }
            if full || flushing { return (full, .send) }
            // Without linger a record goes at once only to an idle partition; behind a batch in flight it
            // accumulates until the batch fills or that batch's answer comes (`settle`), as Kafka's sender does.
            if lingerMs <= 0 { return (full, queue.hasInFlight ? .wait : .send) }
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
        case wait, send
        case linger(NIODeadline)
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

    /// A lingering partition's records are due: they go now if the partition may send, else when one of its
    /// batches in flight is answered.
    private mutating func sendLingering(_ tp: TopicPartition) {
        if partitions[tp]?.canSend(window: partitionWindow) == true {
            markReady(tp)
        } else {
            partitions[tp]?.lingerDeadline = nil
            lingering.remove(tp)
        }
    }

    private mutating func markReady(_ tp: TopicPartition) {
        withQueue(tp) { $0.markReady() }
        lingering.remove(tp)
        ready.append(tp)
    }

    /// Turns ready partitions into requests while request slots are free; several partitions share a request up
    /// to the request size limit (one batch per partition per request). An idempotent producer without its
    /// identity asks for it first.
    private mutating func dispatch(_ actions: inout ProducerActions) {
        guard !ready.isEmpty else { return }
        let sequencing: ProducerIdentity?
        switch identity {
        case .none:
            identity = .loading(attempt: 0)
            actions.identityLoads.append(.zero)
            return
        case .loading:
            return
        case .ready(let known):
            sequencing = known
        case .disabled:
            sequencing = nil
        }
        let (batchSize, maxBatchBytes, window) =
            (configuration.batchSize, configuration.maxBatchBytes, partitionWindow)
        while inFlightRequests < configuration.maxInFlightRequests, !ready.isEmpty {
            var request: [ProducerBatch] = []
            var inRequest: Set<TopicPartition> = []
            var bytes = 0
            while let tp = ready.first, !inRequest.contains(tp) {
                let next = partitions[tp]?.nextBatchBytes(maxBatchBytes: configuration.maxBatchBytes) ?? 0
                if !request.isEmpty, bytes + next > maxRequestBytes { break }
                ready.removeFirst()
                let id = nextBatchID
                nextBatchID += 1
                let (batch, more) = withQueue(tp) { queue -> (ProducerBatch, Bool) in
                    let batch = queue.takeBatch(
                        tp, batchSize: batchSize, maxBatchBytes: maxBatchBytes, id: id,
                        identity: sequencing)
                    let more =
                        queue.canSend(window: window)
                        && (queue.hasResend || queue.isFull(batchSize: batchSize, maxBatchBytes: maxBatchBytes))
                    return (batch, more)
                }
                topics[tp.topic]?.advanceSticky(from: tp.partition)
                bytes += batch.wireBytes
                request.append(batch)
                inRequest.insert(tp)
                // Pipelining: another full batch (or one to send again) of the partition goes in the next request.
                if more { markReady(tp) }
            }
            inFlightRequests += 1
            if actions.requests.isEmpty { actions.firstRequestTicket = nextRequestTicket }
            nextRequestTicket += 1
            actions.requests.append(request)
        }
    }

    /// The server answered the request for a producer identity (or could not).
    mutating func identityLoaded(_ result: Result<ProducerIdentity, SluiceError>) -> ProducerActions {
        var actions = ProducerActions()
        guard case .loading(let attempt) = identity else { return actions }
        switch result {
        case .success(let known):
            identity = .ready(known)
        case .failure(let error) where error.code == .unsupportedRequest:
            identity = .disabled  // A server older than idempotent produce: at-least-once, as before.
        case .failure(let error) where error.code.isRetriable && attempt < configuration.retries:
            identity = .loading(attempt: attempt + 1)
            actions.identityLoads.append(.milliseconds(Int64(configuration.backoff(attempt: attempt + 1))))
            return actions
        case .failure(let error):
            // Every record waiting to be sent fails; the next one asks again.
            identity = .none
            for tp in ready {
                let queued = withQueue(tp) { queue -> CircularBuffer<QueuedRecord> in
                    defer {
                        queue.queue.removeAll()
                        queue.queuedBytes = 0
                        queue.isReady = false
                    }
                    return queue.queue
                }
                for record in queued { fail(record, error, &actions) }
            }
            ready.removeAll()
            return actions
        }
        dispatch(&actions)
        return actions
    }

    // MARK: - Events

    /// A produce request's outcome: the response, or the error that ended the whole request.
    mutating func completed(_ batches: [ProducerBatch], _ result: Result<ProduceResponse, SluiceError>)
        -> ProducerActions
    {
        var actions = ProducerActions()
        inFlightRequests -= 1
        for batch in batches {
            let outcome: BatchOutcome
            switch result {
            case .failure(let error): outcome = .failure(error)
            case .success(let response): outcome = Self.outcome(of: batch.topicPartition, in: response)
            }
            if case .failure(let error) = outcome, error.code == .unknownTopic || error.code == .unknownPartition {
                // Deleted, or re-created smaller: the next record of the topic looks it up again.
                if topics[batch.topicPartition.topic]?.loading == false {
                    topics[batch.topicPartition.topic]?.info = nil
                }
            }
            if case .failure(let error) = outcome, error.code == .unknownProducerID, case .ready = identity {
                // The server does not know the id (its data was replaced): the batch fails, the next ones get a new
                // id (their partitions start over at an out-of-order answer).
                identity = .none
            }
            withQueue(batch.topicPartition) { $0.answer(batch.id, outcome) }
        }
        for tp in Set(batches.map(\.topicPartition)) { settle(tp, &actions) }
        dispatch(&actions)
        return actions
    }

    private static func outcome(of tp: TopicPartition, in response: ProduceResponse) -> BatchOutcome {
        for topic in response.topics where topic.name == tp.topic {
            for partition in topic.partitions where partition.partition == tp.partition {
                if let error = partition.error { return .failure(error) }
                return .success((partition.baseOffset, partition.logAppendTime))
            }
        }
        return .failure(SluiceError(.unknown, "the produce response does not mention \(tp)"))
    }

    /// Acknowledges, fails or schedules again what the partition's answers decided, then sends more if it may.
    private mutating func settle(_ tp: TopicPartition, _ actions: inout ProducerActions) {
        let maxRetries = configuration.retries
        let settlement = withQueue(tp) { $0.settle(maxRetries: maxRetries) }
        for (batch, baseOffset, appendTime) in settlement.succeeded {
            actions.succeeded.append((batch, baseOffset, appendTime))
            release(batch.epochs, &actions)
        }
        for (batch, error) in settlement.failed {
            actions.failedBatches.append((batch, error))
            release(batch.epochs, &actions)
        }
        if let attempt = settlement.backoffAttempt {
            actions.retryTimers.append((tp, .milliseconds(Int64(configuration.backoff(attempt: attempt)))))
        }
        if partitions[tp]?.canSend(window: partitionWindow) == true { markReady(tp) }
    }

    /// A retry's back-off has passed: the partition's batches go out again.
    mutating func retryDue(_ tp: TopicPartition) -> ProducerActions {
        var actions = ProducerActions()
        guard partitions[tp]?.backingOff == true else { return actions }
        partitions[tp]?.backingOff = false
        if partitions[tp]?.canSend(window: partitionWindow) == true { markReady(tp) }
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
                sendLingering(tp)
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
        for tp in lingering { sendLingering(tp) }
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
    /// The number of `requests[0]`; the others follow. Requests must reach the connection in this order, whatever
    /// thread performs the actions, so that a partition's batches arrive in sequence.
    var firstRequestTicket = 0
    var lingerTimer: NIODeadline?
    var retryTimers: [(TopicPartition, TimeAmount)] = []
    var metadataLoads: [(topic: String, delay: TimeAmount)] = []
    /// Ask the server for a producer identity after this delay.
    var identityLoads: [TimeAmount] = []
}
