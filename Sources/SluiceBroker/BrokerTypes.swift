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

/// What a fetch returned for one partition, with its records in the form `Records` holds them.
public struct FetchResult<Records: FetchRecordSink>: Sendable {
    public var topic: String
    public var partition: Int32
    public var error: SluiceError?
    public var logStartOffset: Int64
    public var highWatermark: Int64
    public var records: Records
    /// How many records `records` holds.
    public var recordCount: Int
    /// Bytes of record data (key, value, headers) in `records`, as counted against fetch limits.
    public var bytes: Int
    /// The offset after the last record returned; `nil` when none was.
    public var nextOffset: Int64?

    public init(topic: String, partition: Int32, error: SluiceError? = nil, logStartOffset: Int64 = -1,
                highWatermark: Int64 = -1, records: Records, recordCount: Int, bytes: Int, nextOffset: Int64?)
    {
        self.topic = topic
        self.partition = partition
        self.error = error
        self.logStartOffset = logStartOffset
        self.highWatermark = highWatermark
        self.records = records
        self.recordCount = recordCount
        self.bytes = bytes
        self.nextOffset = nextOffset
    }
}

/// What a fetch returned for one partition, as `Record` values.
public typealias FetchedPartition = FetchResult<[Record]>

extension FetchResult where Records == [Record] {
    public init(topic: String, partition: Int32, error: SluiceError? = nil, logStartOffset: Int64 = -1,
                highWatermark: Int64 = -1, records: [Record] = [])
    {
        self.init(topic: topic, partition: partition, error: error, logStartOffset: logStartOffset,
                  highWatermark: highWatermark, records: records, recordCount: records.count,
                  bytes: records.reduce(0) { $0 + $1.sizeInBytes }, nextOffset: records.last.map { $0.offset + 1 })
    }
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
