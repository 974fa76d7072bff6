import NIOCore
import SluiceCore

/// Reads records from partitions, waiting for them if asked to (API key 7).
///
/// On the wire: `int32 maxWaitMs, int32 minBytes, int32 maxBytes,
/// array<(string topic, array<(int32 partition, int64 offset, int32 partitionMaxBytes)>)> topics`.
/// The server answers once `minBytes` of record data are available across the partitions, or `maxWaitMs` has
/// passed. The byte limits give way in one case: if any partition has a record at the requested offset, the
/// response holds at least one record even when that record alone is larger than the limits, so a consumer can
/// always make progress.
package struct FetchRequest: Sendable, Equatable {
    package struct Partition: Sendable, Equatable {
        package var partition: Int32
        /// The offset of the first record wanted.
        package var offset: Int64
        /// The most record bytes to return from this partition (see `FetchRequest` for the one exception).
        package var partitionMaxBytes: Int32

        package init(partition: Int32, offset: Int64, partitionMaxBytes: Int32) {
            self.partition = partition
            self.offset = offset
            self.partitionMaxBytes = partitionMaxBytes
        }
    }

    package typealias Topic = TopicPartitions<Partition>

    package var maxWaitMs: Int32
    package var minBytes: Int32
    package var maxBytes: Int32
    package var topics: [Topic]

    package init(maxWaitMs: Int32, minBytes: Int32, maxBytes: Int32, topics: [Topic]) {
        self.maxWaitMs = maxWaitMs
        self.minBytes = minBytes
        self.maxBytes = maxBytes
        self.topics = topics
    }
}

/// Records, per partition.
///
/// On the wire: `array<(string topic, array<(int32 partition, int16 errorCode, nullable string errorMessage,
/// int64 logStartOffset, int64 highWatermark, array<storedRecord> records)>)> topics`.
package struct FetchResponse: Sendable, Equatable {
    package struct Partition: Sendable, Equatable {
        package var partition: Int32
        /// Why this partition could not be read (e.g. `.offsetOutOfRange`); its records are then empty.
        package var error: SluiceError?
        /// The first offset still stored.
        package var logStartOffset: Int64
        /// The next offset to be written; every record below it is committed.
        package var highWatermark: Int64
        package var records: [Record]
        /// Records already encoded, which a server sends instead of `records` when set (decoding always fills
        /// `records`).
        package var encodedRecords: EncodedRecords?

        package init(
            partition: Int32, error: SluiceError? = nil, logStartOffset: Int64, highWatermark: Int64,
            records: [Record]
        ) {
            self.partition = partition
            self.error = error
            self.logStartOffset = logStartOffset
            self.highWatermark = highWatermark
            self.records = records
        }

        /// A partition whose records are sent as encoded.
        package init(
            partition: Int32, error: SluiceError? = nil, logStartOffset: Int64, highWatermark: Int64,
            encodedRecords: EncodedRecords
        ) {
            self.init(
                partition: partition, error: error, logStartOffset: logStartOffset, highWatermark: highWatermark,
                records: [])
            self.encodedRecords = encodedRecords
        }
    }

    package typealias Topic = TopicPartitions<Partition>

    package var topics: [Topic]

    package init(topics: [Topic]) {
        self.topics = topics
    }
}

extension FetchRequest.Partition: WireCodable {
    static var minWireSize: Int { 16 }
    var wireSize: Int { 16 }

    static func read(from buffer: inout ByteBuffer) throws(SluiceError) -> FetchRequest.Partition {
        .init(
            partition: try buffer.readInt32(), offset: try buffer.readInt64(), partitionMaxBytes: try buffer.readInt32()
        )
    }

    func write(to buffer: inout ByteBuffer) {
        buffer.writeInt32(partition)
        buffer.writeInt64(offset)
        buffer.writeInt32(partitionMaxBytes)
    }
}

extension FetchRequest: WireCodable {
    var wireSize: Int { 12 + WireSize.array(topics) }

    static func read(from buffer: inout ByteBuffer) throws(SluiceError) -> FetchRequest {
        FetchRequest(
            maxWaitMs: try buffer.readInt32(), minBytes: try buffer.readInt32(), maxBytes: try buffer.readInt32(),
            topics: try buffer.readArray())
    }

    func write(to buffer: inout ByteBuffer) {
        buffer.writeInt32(maxWaitMs)
        buffer.writeInt32(minBytes)
        buffer.writeInt32(maxBytes)
        buffer.writeArray(topics)
    }
}

extension FetchResponse.Partition: WireCodable {
    static var minWireSize: Int { 28 }
    var wireSize: Int {
        4 + WireSize.error(error) + 16 + (encodedRecords.map { 4 + $0.bytes.readableBytes } ?? WireSize.array(records))
    }

    static func read(from buffer: inout ByteBuffer) throws(SluiceError) -> FetchResponse.Partition {
        .init(
            partition: try buffer.readInt32(), error: try buffer.readError(), logStartOffset: try buffer.readInt64(),
            highWatermark: try buffer.readInt64(), records: try buffer.readArray())
    }

    func write(to buffer: inout ByteBuffer) {
        buffer.writeInt32(partition)
        buffer.writeError(error)
        buffer.writeInt64(logStartOffset)
        buffer.writeInt64(highWatermark)
        if let encodedRecords {
            buffer.writeInt32(encodedRecords.count)
            buffer.writeImmutableBuffer(encodedRecords.bytes)
        } else {
            buffer.writeArray(records)
        }
    }
}

extension FetchResponse: WireCodable {
    var wireSize: Int { WireSize.array(topics) }

    static func read(from buffer: inout ByteBuffer) throws(SluiceError) -> FetchResponse {
        FetchResponse(topics: try buffer.readArray())
    }

    func write(to buffer: inout ByteBuffer) {
        buffer.writeArray(topics)
    }
}
