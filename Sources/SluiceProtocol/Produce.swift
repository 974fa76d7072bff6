import NIOCore
import SluiceCore

/// Appends records to partitions (API key 6).
///
/// On the wire, version 0: `int8 acks, int32 timeoutMs,
/// array<(string topic, array<(int32 partition, array<producerRecord> records)>)> topics`.
/// Version 1 adds an idempotent producer's sequence numbers to each partition: `int32 partition, int64 producerId,
/// int16 epoch, int32 baseSequence, array<producerRecord> records`, all three -1 for a partition without.
/// With `acks` = `.noResponse` the server sends no response at all, not even an error.
package struct ProduceRequest: Sendable, Equatable {
    /// When the server answers.
    package enum Acks: Int8, Sendable, Equatable {
        /// Never: fire and forget. Errors are not reported.
        case noResponse = 0
        /// Once the records are committed to the database.
        case afterCommit = 1
    }

    package struct Partition: Sendable, Equatable {
        package var partition: Int32
        package var records: [ProducerRecord]
        /// The batch's sequence numbers, from an idempotent producer (version 1); a producer id below 0 is none.
        package var sequence: BatchSequence?

        package init(partition: Int32, records: [ProducerRecord], sequence: BatchSequence? = nil) {
            self.partition = partition
            self.records = records
            self.sequence = sequence
        }
    }

    package typealias Topic = TopicPartitions<Partition>

    package var acks: Acks
    /// How long the server may wait for the commit before answering `.timeout`.
    package var timeoutMs: Int32
    package var topics: [Topic]

    package init(acks: Acks = .afterCommit, timeoutMs: Int32, topics: [Topic]) {
        self.acks = acks
        self.timeoutMs = timeoutMs
        self.topics = topics
    }
}

/// The outcome of a produce, per partition.
///
/// On the wire: `array<(string topic, array<(int32 partition, int16 errorCode, nullable string errorMessage,
/// int64 baseOffset, int64 logAppendTime)>)> topics`.
package struct ProduceResponse: Sendable, Equatable {
    package struct Partition: Sendable, Equatable {
        package var partition: Int32
        /// Why this partition's records were not appended; `nil` on success.
        package var error: SluiceError?
        /// The offset given to the partition's first record; -1 on error.
        package var baseOffset: Int64
        /// The time the broker stamped the records with, in milliseconds since the Unix epoch; -1 on error.
        package var logAppendTime: Int64

        package init(partition: Int32, error: SluiceError? = nil, baseOffset: Int64, logAppendTime: Int64) {
            self.partition = partition
            self.error = error
            self.baseOffset = baseOffset
            self.logAppendTime = logAppendTime
        }
    }

    package typealias Topic = TopicPartitions<Partition>

    package var topics: [Topic]

    package init(topics: [Topic]) {
        self.topics = topics
    }
}

extension ProduceRequest.Partition {
    static var minWireSize: Int { 8 }

    func wireSize(version: Int16) -> Int { (version >= 1 ? 18 : 4) + WireSize.array(records) }

    static func read(from buffer: inout ByteBuffer, version: Int16) throws(SluiceError) -> ProduceRequest.Partition {
        let partition = try buffer.readInt32()
        var sequence: BatchSequence?
        if version >= 1 {
            let producerID = try buffer.readInt64()
            let epoch = try buffer.readInt16()
            let baseSequence = try buffer.readInt32()
            if producerID >= 0 {
                guard epoch >= 0, baseSequence >= 0 else {
                    throw .malformed("producer \(producerID) with epoch \(epoch) and base sequence \(baseSequence)")
                }
                sequence = BatchSequence(producerID: producerID, epoch: epoch, baseSequence: baseSequence)
            }
        }
        return .init(partition: partition, records: try buffer.readArray(), sequence: sequence)
    }

    func write(to buffer: inout ByteBuffer, version: Int16) {
        buffer.writeInt32(partition)
        if version >= 1 {
            buffer.writeInt64(sequence?.producerID ?? -1)
            buffer.writeInt16(sequence?.epoch ?? -1)
            buffer.writeInt32(sequence?.baseSequence ?? -1)
        }
        buffer.writeArray(records)
    }
}

extension ProduceRequest {
    /// The version this request is encoded at: 1 when a partition carries sequence numbers, else 0.
    var wireVersion: Int16 {
        topics.contains { $0.partitions.contains { $0.sequence != nil } } ? 1 : 0
    }

    var wireSize: Int {
        let version = wireVersion
        var size = 1 + 4 + 4
        for topic in topics {
            size += WireSize.string(topic.name) + 4
            for partition in topic.partitions { size += partition.wireSize(version: version) }
        }
        return size
    }

    static func read(from buffer: inout ByteBuffer, version: Int16) throws(SluiceError) -> ProduceRequest {
        let rawAcks = try buffer.readInt8()
        guard let acks = Acks(rawValue: rawAcks) else { throw .malformed("acks must be 0 or 1, not \(rawAcks)") }
        let timeoutMs = try buffer.readInt32()
        let topicCount = try buffer.readCount(minElementSize: 6)
        var topics: [Topic] = []
        topics.reserveCapacity(topicCount)
        for _ in 0..<topicCount {
            let name = try buffer.readWireString()
            let partitionCount = try buffer.readCount(minElementSize: Partition.minWireSize)
            var partitions: [Partition] = []
            partitions.reserveCapacity(partitionCount)
            for _ in 0..<partitionCount { partitions.append(try .read(from: &buffer, version: version)) }
            topics.append(Topic(name: name, partitions: partitions))
        }
        return ProduceRequest(acks: acks, timeoutMs: timeoutMs, topics: topics)
    }

    func write(to buffer: inout ByteBuffer) {
        let version = wireVersion
        buffer.writeInt8(acks.rawValue)
        buffer.writeInt32(timeoutMs)
        buffer.writeInt32(Int32(topics.count))
        for topic in topics {
            buffer.writeWireString(topic.name)
            buffer.writeInt32(Int32(topic.partitions.count))
            for partition in topic.partitions { partition.write(to: &buffer, version: version) }
        }
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
