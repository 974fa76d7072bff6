import SluiceCore

/// Records for one partition of one topic, as a produce request carries them.
package struct ProduceBatch: Sendable {
    package var topic: String
    package var partition: Int32
    package var records: [ProducerRecord]
    /// The batch's sequence numbers when it comes from an idempotent producer (see `Broker.initProducerID`).
    package var sequence: BatchSequence?

    package init(topic: String, partition: Int32, records: [ProducerRecord], sequence: BatchSequence? = nil) {
        self.topic = topic
        self.partition = partition
        self.records = records
        self.sequence = sequence
    }
}

/// What became of one `ProduceBatch`: its base offset once committed, or why it was refused.
package struct ProduceOutcome: Sendable {
    package var topic: String
    package var partition: Int32
    package var result: Result<Appended, SluiceError>

    package struct Appended: Sendable, Hashable {
        package var baseOffset: Int64
        package var logAppendTime: Int64
        /// The batch had been appended before by the same idempotent producer: nothing was appended, and the
        /// offsets and time are the original ones.
        package var duplicate: Bool = false
    }
}

/// One partition to read in a fetch.
package struct FetchTarget: Sendable, Hashable {
    package var topic: String
    package var partition: Int32
    package var offset: Int64
    package var maxBytes: Int

    package init(topic: String, partition: Int32, offset: Int64, maxBytes: Int) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.maxBytes = maxBytes
    }
}

/// A fetch: partitions to read, how long to wait for data and how much to wait for.
package struct FetchSpec: Sendable {
    package var targets: [FetchTarget]
    /// How long to wait for `minBytes` to be available, in milliseconds.
    package var maxWaitMs: Int
    package var minBytes: Int
    /// Record bytes for the whole response, each record counting at least `Broker.recordOverheadBytes` (at least
    /// one record is always returned when one is available).
    package var maxBytes: Int
    /// The most the records may take in the native wire form (`Broker.wireSize`), for the whole response: a hard
    /// cap that the response's first record alone may pass. A record that would take the response over it is not
    /// read, so nothing past it is ever built.
    package var maxWireBytes: Int

    package init(
        targets: [FetchTarget], maxWaitMs: Int, minBytes: Int = 1, maxBytes: Int = 16 << 20,
        maxWireBytes: Int = .max
    ) {
        self.targets = targets
        self.maxWaitMs = maxWaitMs
        self.minBytes = minBytes
        self.maxBytes = maxBytes
        self.maxWireBytes = maxWireBytes
    }
}

/// What a fetch returned for one partition, with its records in the form `Records` holds them.
package struct FetchResult<Records: FetchRecordSink>: Sendable {
    package var topic: String
    package var partition: Int32
    package var error: SluiceError?
    package var logStartOffset: Int64
    package var highWatermark: Int64
    package var records: Records
    /// How many records `records` holds.
    package var recordCount: Int
    /// Bytes of record data (key, value, headers) in `records`, as counted against fetch limits.
    package var bytes: Int
    /// The offset after the last record returned; `nil` when none was.
    package var nextOffset: Int64?

    package init(
        topic: String, partition: Int32, error: SluiceError? = nil, logStartOffset: Int64 = -1,
        highWatermark: Int64 = -1, records: Records, recordCount: Int, bytes: Int, nextOffset: Int64?
    ) {
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
package typealias FetchedPartition = FetchResult<[Record]>

extension FetchResult where Records == [Record] {
    package init(
        topic: String, partition: Int32, error: SluiceError? = nil, logStartOffset: Int64 = -1,
        highWatermark: Int64 = -1, records: [Record] = []
    ) {
        self.init(
            topic: topic, partition: partition, error: error, logStartOffset: logStartOffset,
            highWatermark: highWatermark, records: records, recordCount: records.count,
            bytes: records.reduce(0) { $0 + $1.sizeInBytes }, nextOffset: records.last.map { $0.offset + 1 })
    }
}

/// A topic with its settings and each partition's offsets (and stored bytes, where asked for).
package struct TopicDetails: Sendable {
    package var description: TopicDefinition
    package var partitions: [PartitionDetails]
}

package struct PartitionDetails: Sendable, Hashable {
    package var partition: Int32
    package var logStartOffset: Int64
    package var nextOffset: Int64
    /// Bytes of record data stored, or -1 when not asked for.
    package var sizeBytes: Int64
}
