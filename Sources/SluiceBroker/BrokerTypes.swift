import SluiceCore

/// Records for one partition of one topic, as a produce request carries them.
public struct ProduceBatch: Sendable {
    public var topic: String
    public var partition: Int32
    public var records: [ProducerRecord]
    /// The batch's sequence numbers when it comes from an idempotent producer (see `Broker.initProducerID`).
    public var sequence: BatchSequence?

    public init(topic: String, partition: Int32, records: [ProducerRecord], sequence: BatchSequence? = nil) {
        self.topic = topic
        self.partition = partition
        self.records = records
        self.sequence = sequence
    }
}

/// What became of one `ProduceBatch`: its base offset once committed, or why it was refused.
public struct ProduceOutcome: Sendable {
    public var topic: String
    public var partition: Int32
    public var result: Result<Appended, SluiceError>

    public struct Appended: Sendable, Hashable {
        public var baseOffset: Int64
        public var logAppendTime: Int64
        /// The batch had been appended before by the same idempotent producer: nothing was appended, and the
        /// offsets and time are the original ones.
        public var duplicate: Bool = false
    }
}

/// One partition to read in a fetch.
public struct FetchTarget: Sendable, Hashable {
    public var topic: String
    public var partition: Int32
    public var offset: Int64
    public var maxBytes: Int

    public init(topic: String, partition: Int32, offset: Int64, maxBytes: Int) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.maxBytes = maxBytes
    }
}

/// A fetch: partitions to read, how long to wait for data and how much to wait for.
public struct FetchSpec: Sendable {
    public var targets: [FetchTarget]
    /// How long to wait for `minBytes` to be available, in milliseconds.
    public var maxWaitMs: Int
    public var minBytes: Int
    /// Bytes for the whole response (at least one record is always returned when one is available).
    public var maxBytes: Int

    public init(targets: [FetchTarget], maxWaitMs: Int, minBytes: Int = 1, maxBytes: Int = 16 << 20) {
        self.targets = targets
        self.maxWaitMs = maxWaitMs
        self.minBytes = minBytes
        self.maxBytes = maxBytes
    }
}

/// What a fetch returned for one partition.
public struct FetchedPartition: Sendable {
    public var topic: String
    public var partition: Int32
    public var error: SluiceError?
    public var logStartOffset: Int64
    public var highWatermark: Int64
    public var records: [Record]

    public init(topic: String, partition: Int32, error: SluiceError? = nil, logStartOffset: Int64 = -1,
                highWatermark: Int64 = -1, records: [Record] = [])
    {
        self.topic = topic
        self.partition = partition
        self.error = error
        self.logStartOffset = logStartOffset
        self.highWatermark = highWatermark
        self.records = records
    }

    var bytes: Int { records.reduce(0) { $0 + $1.sizeInBytes } }
}

/// A topic with its settings and each partition's offsets (and stored bytes, where asked for).
public struct TopicDetails: Sendable {
    public var description: TopicDescription
    public var partitions: [PartitionDetails]
}

public struct PartitionDetails: Sendable, Hashable {
    public var partition: Int32
    public var logStartOffset: Int64
    public var nextOffset: Int64
    /// Bytes of record data stored, or -1 when not asked for.
    public var sizeBytes: Int64
}
