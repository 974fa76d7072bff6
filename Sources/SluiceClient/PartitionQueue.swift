import NIOCore
import SluiceCore

/// A record waiting to be sent, with what it counts for and whom to tell.
struct QueuedRecord: Sendable {
    var record: ProducerRecord
    /// Its encoded size on the wire (record bytes plus field overhead), for batch and request limits.
    var wireBytes: Int
    var epoch: Int
    var completion: RecordCompletion

    init(_ record: ProducerRecord, epoch: Int, completion: @escaping RecordCompletion) {
        self.record = record
        self.wireBytes = record.sizeInBytes + 20 + 6 * record.headers.count
        self.epoch = epoch
        self.completion = completion
    }
}

/// Records of one partition sent together, in order.
struct ProducerBatch: Sendable {
    var topicPartition: TopicPartition
    var records: [ProducerRecord] = []
    var completions: [RecordCompletion] = []
    var epochs: [Int] = []
    var wireBytes = 0
    /// How many times the batch has been sent again.
    var retries = 0
    /// Tells the batch apart from the others of its partition in flight (unique per producer).
    var id = 0
    /// Its sequence numbers, from the first time it was sent (idempotent producers); kept when sent again.
    var sequence: BatchSequence?

    init(_ topicPartition: TopicPartition) {
        self.topicPartition = topicPartition
    }

    mutating func append(_ queued: QueuedRecord) {
        records.append(queued.record)
        completions.append(queued.completion)
        epochs.append(queued.epoch)
        wireBytes += queued.wireBytes
    }
}

/// What became of a sent batch: its base offset and append time, or the error.
typealias BatchOutcome = Result<(baseOffset: Int64, appendTime: Int64), SluiceError>

/// One partition's records waiting to be sent, its batches in flight and those to send again.
///
/// Batches of a partition are sent, answered and acknowledged in order, several at a time (`window`). A failure
/// holds the partition: nothing new goes out until every batch in flight has its answer, then `settle` decides
/// for each, in order, whether it is acknowledged, failed or sent again. With sequence numbers a batch sent again
/// is stored once; the batches after a failed one fail as out of order and are sent again after it.
struct PartitionQueue {
    var queue = CircularBuffer<QueuedRecord>()
    var queuedBytes = 0
    /// When the oldest queued record has lingered enough, while the partition is idle.
    var lingerDeadline: NIODeadline?
    /// The partition waits in the accumulator's ready list for a request slot.
    var isReady = false
    /// Batches sent, oldest first, until acknowledged at the head or settled after a failure.
    private(set) var window = CircularBuffer<(batch: ProducerBatch, outcome: BatchOutcome?)>()
    /// Batches to send again, in order, before any new one.
    private(set) var resend = CircularBuffer<ProducerBatch>()
    /// Sending again waits for a back-off.
    var backingOff = false
    /// The sequence the next new batch starts at, and how many times the partition started over at a new epoch.
    private(set) var nextSequence: Int32 = 0
    private(set) var epochBump: Int16 = 0
    private var unanswered = 0
    private var failures = 0

    /// What `settle` decided.
    struct Settlement {
        var succeeded: [(batch: ProducerBatch, baseOffset: Int64, appendTime: Int64)] = []
        var failed: [(batch: ProducerBatch, error: SluiceError)] = []
        /// Batches go again after the back-off for this retry number.
        var backoffAttempt: Int?
    }

    /// Queues a record; returns whether a full batch is now queued.
    mutating func append(_ queued: QueuedRecord, batchSize: Int, maxBatchBytes: Int) -> Bool {
        queue.append(queued)
        queuedBytes += queued.wireBytes
        return isFull(batchSize: batchSize, maxBatchBytes: maxBatchBytes)
    }

    func isFull(batchSize: Int, maxBatchBytes: Int) -> Bool {
        queue.count >= batchSize || queuedBytes >= maxBatchBytes
    }

    mutating func markReady() {
        isReady = true
        lingerDeadline = nil
    }

    /// Whether another batch may go now: one is waiting, the window has room and no failure holds the partition.
    func canSend(window limit: Int) -> Bool {
        !isReady && !backingOff && failures == 0 && window.count < limit && (!resend.isEmpty || !queue.isEmpty)
    }

    /// A batch to send again is waiting (it goes without lingering).
    var hasResend: Bool { !resend.isEmpty }

    /// At least one batch of the partition is in flight (or held after a failure until `settle`).
    var hasInFlight: Bool { !window.isEmpty }

    /// The size of the batch `takeBatch` would return, near enough to keep requests under their limit.
    func nextBatchBytes(maxBatchBytes: Int) -> Int {
        if let first = resend.first { return first.wireBytes }
        return min(queuedBytes, max(maxBatchBytes, queue.first?.wireBytes ?? 0))
    }

    /// Takes the next batch into the window: the first to send again, else up to `batchSize` records and
    /// `maxBatchBytes` from the queue (at least one record). With an `identity`, a batch without sequence numbers
    /// gets the next ones.
    mutating func takeBatch(
        _ tp: TopicPartition, batchSize: Int, maxBatchBytes: Int, id: Int,
        identity: ProducerIdentity?
    ) -> ProducerBatch {
        isReady = false
        var batch: ProducerBatch
        if let next = resend.popFirst() {
            batch = next
        } else {
            batch = ProducerBatch(tp)
            batch.id = id
            let count = min(queue.count, batchSize)
            batch.records.reserveCapacity(count)
            batch.completions.reserveCapacity(count)
            batch.epochs.reserveCapacity(count)
            while let first = queue.first, batch.records.count < batchSize,
                batch.records.isEmpty || batch.wireBytes + first.wireBytes <= maxBatchBytes
            {
                batch.append(queue.removeFirst())
            }
            queuedBytes -= batch.wireBytes
        }
        if let identity, batch.sequence == nil {
            batch.sequence = BatchSequence(
                producerID: identity.producerID, epoch: identity.epoch &+ epochBump,
                baseSequence: nextSequence)
            nextSequence = BatchSequence.advance(nextSequence, by: batch.records.count)
        }
        window.append((batch, nil))
        unanswered += 1
        return batch
    }

    /// Records the answer to a batch in the window (ignored for a batch it does not hold).
    mutating func answer(_ id: Int, _ outcome: BatchOutcome) {
        guard let index = window.firstIndex(where: { $0.batch.id == id }), window[index].outcome == nil else { return }
        window[index].outcome = outcome
        unanswered -= 1
        if case .failure = outcome { failures += 1 }
    }

    /// Acknowledges the answered successes at the head of the window; once every batch in it is answered and one
    /// failed, decides for each in order:
    ///
    /// - a success before any failure is acknowledged;
    /// - a failure that is retriable (or out of order, which follows a failed batch) goes again, with its sequence
    ///   numbers, up to `maxRetries` times; so does a success after it (it was stored: the server answers it with
    ///   its original offsets), keeping acknowledgements in order;
    /// - any other failure fails its records, and the partition starts over at sequence 0 of a new epoch for the
    ///   batches after it (the server expects nothing else once a batch is lost);
    /// - an out-of-order answer to the first batch after the successes means the server no longer knows the
    ///   producer's sequence on this partition (its state expired): the partition starts over at a new epoch too.
    mutating func settle(maxRetries: Int) -> Settlement {
        var settlement = Settlement()
        while let head = window.first, case .success(let appended)? = head.outcome {
            window.removeFirst()
            settlement.succeeded.append((head.batch, appended.baseOffset, appended.appendTime))
        }
        guard failures > 0, unanswered == 0 else { return settlement }
        var resending = false
        var restarted = false
        var attempt = 0
        func startOver() {
            guard !restarted else { return }
            restarted = true
            epochBump &+= 1
            nextSequence = 0
        }
        for (batch, outcome) in window {
            switch outcome! {
            case .success(let appended):
                if resending && !restarted {
                    resend.append(batch)
                } else {
                    settlement.succeeded.append((batch, appended.baseOffset, appended.appendTime))
                }
            case .failure(let error):
                let outOfOrder = error.code == .outOfOrderSequence
                if error.code.isRetriable || outOfOrder, batch.retries < maxRetries {
                    if outOfOrder && !resending { startOver() }
                    var again = batch
                    again.retries += 1
                    if restarted { again.sequence = nil }
                    attempt = max(attempt, again.retries)
                    resend.append(again)
                    resending = true
                } else {
                    settlement.failed.append((batch, error))
                    startOver()
                }
            }
        }
        window.removeAll()
        failures = 0
        // New batches queued behind the ones sent again keep their order: they get numbers when they are taken.
        if attempt > 0 {
            backingOff = true
            settlement.backoffAttempt = attempt
        }
        return settlement
    }
}
