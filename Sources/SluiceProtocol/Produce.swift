import NIOCore
import SluiceCore

/// Appends records to partitions (API key 6).
///
/// On the wire: `int8 acks, int32 timeoutMs,
/// array<(string topic, array<(int32 partition, array<producerRecord> records)>)> topics`.
/// With `acks` = `.noResponse` the server sends no response at all, not even an error.
public struct ProduceRequest: Sendable, Equatable {
    /// When the server answers.
    public enum Acks: Int8, Sendable, Equatable {
        /// Never: fire and forget. Errors are not reported.
        case noResponse = 0
        /// Once the records are committed to the database.
        case afterCommit = 1
    }

    public struct Partition: Sendable, Equatable {
        public var partition: Int32
        public var records: [ProducerRecord]

        public init(partition: Int32, records: [ProducerRecord]) {
            self.partition = partition
            self.records = records
        }
    }

    public typealias Topic = TopicPartitions<Partition>

    public var acks: Acks
    /// How long the server may wait for the commit before answering `.timeout`.
    public var timeoutMs: Int32
    public var topics: [Topic]

    public init(acks: Acks = .afterCommit, timeoutMs: Int32, topics: [Topic]) {
        self.acks = acks
        self.timeoutMs = timeoutMs
        self.topics = topics
    }
}

/// The outcome of a produce, per partition.
///
/// On the wire: `array<(string topic, array<(int32 partition, int16 errorCode, nullable string errorMessage,
/// int64 baseOffset, int64 logAppendTime)>)> topics`.
public struct ProduceResponse: Sendable, Equatable {
    public struct Partition: Sendable, Equatable {
        public var partition: Int32
        /// Why this partition's records were not appended; `nil` on success.
        public var error: SluiceError?
        /// The offset given to the partition's first record; -1 on error.
        public var baseOffset: Int64
        /// The time the broker stamped the records with, in milliseconds since the Unix epoch; -1 on error.
        public var logAppendTime: Int64

        public init(partition: Int32, error: SluiceError? = nil, baseOffset: Int64, logAppendTime: Int64) {
            self.partition = partition
            self.error = error
            self.baseOffset = baseOffset
            self.logAppendTime = logAppendTime
        }
    }

    public typealias Topic = TopicPartitions<Partition>

    public var topics: [Topic]

    public init(topics: [Topic]) {
        self.topics = topics
    }
}

extension ProduceRequest.Partition: WireCodable {
    static var minWireSize: Int { 8 }
    var wireSize: Int { 4 + WireSize.array(records) }

    static func read(from buffer: inout ByteBuffer) throws(SluiceError) -> ProduceRequest.Partition {
        .init(partition: try buffer.readInt32(), records: try buffer.readArray())
    }

    func write(to buffer: inout ByteBuffer) {
        buffer.writeInt32(partition)
        buffer.writeArray(records)
    }
}

extension ProduceRequest: WireCodable {
    var wireSize: Int { 1 + 4 + WireSize.array(topics) }

    static func read(from buffer: inout ByteBuffer) throws(SluiceError) -> ProduceRequest {
        let rawAcks = try buffer.readInt8()
        guard let acks = Acks(rawValue: rawAcks) else { throw .malformed("acks must be 0 or 1, not \(rawAcks)") }
        return ProduceRequest(acks: acks, timeoutMs: try buffer.readInt32(), topics: try buffer.readArray())
    }

    func write(to buffer: inout ByteBuffer) {
        buffer.writeInt8(acks.rawValue)
        buffer.writeInt32(timeoutMs)
        buffer.writeArray(topics)
    }
}

extension ProduceResponse.Partition: WireCodable {
    static var minWireSize: Int { 24 }
    var wireSize: Int { 4 + WireSize.error(error) + 16 }

    static func read(from buffer: inout ByteBuffer) throws(SluiceError) -> ProduceResponse.Partition {
        .init(
            partition: try buffer.readInt32(), error: try buffer.readError(),
            baseOffset: try buffer.readInt64(), logAppendTime: try buffer.readInt64())
    }

    func write(to buffer: inout ByteBuffer) {
        buffer.writeInt32(partition)
        buffer.writeError(error)
        buffer.writeInt64(baseOffset)
        buffer.writeInt64(logAppendTime)
    }
}

extension ProduceResponse: WireCodable {
    var wireSize: Int { WireSize.array(topics) }

    static func read(from buffer: inout ByteBuffer) throws(SluiceError) -> ProduceResponse {
        ProduceResponse(topics: try buffer.readArray())
    }

    func write(to buffer: inout ByteBuffer) {
        buffer.writeArray(topics)
    }
}
