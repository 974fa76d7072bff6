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

/// One partition's records waiting to be sent, and whether a batch of it is out.
struct PartitionQueue {
    var queue = CircularBuffer<QueuedRecord>()
    var queuedBytes = 0
    /// When the oldest queued record has lingered enough, while the partition is idle.
    var lingerDeadline: NIODeadline?
    /// A batch of this partition is in flight or waiting to be retried.
    var busy = false
    var retry: ProducerBatch?
    /// The partition waits in the accumulator's ready list for a request slot.
    var isReady = false

    /// Queues a record; returns whether a full batch is now queued.
    mutating func append(_ queued: QueuedRecord, batchSize: Int, maxBatchBytes: Int) -> Bool {
        queue.append(queued)
        queuedBytes += queued.wireBytes
        return queue.count >= batchSize || queuedBytes >= maxBatchBytes
    }

    mutating func markReady() {
        isReady = true
        lingerDeadline = nil
    }

    /// The size of the batch `takeBatch` would return, near enough to keep requests under their limit.
    func nextBatchBytes(maxBatchBytes: Int) -> Int {
        if let retry { return retry.wireBytes }
        return min(queuedBytes, max(maxBatchBytes, queue.first?.wireBytes ?? 0))
    }

    /// Takes the next batch and marks the partition busy: the batch to retry, else up to `batchSize` records and
    /// `maxBatchBytes` from the queue (at least one record).
    mutating func takeBatch(_ tp: TopicPartition, batchSize: Int, maxBatchBytes: Int) -> ProducerBatch {
        isReady = false
        busy = true
        if let retry {
            self.retry = nil
            return retry
        }
        var batch = ProducerBatch(tp)
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
        return batch
    }
}
