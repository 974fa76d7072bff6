import NIOCore
import SluiceCore

/// Looks up offsets by position or time (API key 8).
///
/// On the wire: `array<(string topic, array<(int32 partition, int64 timestamp)>)> topics`.
package struct ListOffsetsRequest: Sendable, Equatable {
    package struct Partition: Sendable, Equatable {
        package var partition: Int32
        /// On the wire: int64 timestamp, -2 earliest, -1 latest, ≥ 0 a time in milliseconds since the Unix epoch.
        package var spec: OffsetSpec

        package init(partition: Int32, spec: OffsetSpec) {
            self.partition = partition
            self.spec = spec
        }
    }

    package typealias Topic = TopicPartitions<Partition>

    package var topics: [Topic]

    package init(topics: [Topic]) {
        self.topics = topics
    }
}

/// The offsets found, per partition.
///
/// On the wire: `array<(string topic, array<(int32 partition, int16 errorCode, nullable string errorMessage,
/// int64 offset, int64 timestamp)>)> topics`.
package struct ListOffsetsResponse: Sendable, Equatable {
    package struct Partition: Sendable, Equatable {
        package var partition: Int32
        package var error: SluiceError?
        /// The offset found. Looking up a time after every record gives the latest offset.
        package var offset: Int64
        /// The timestamp of the record at `offset`; -1 when there is no such record (or for earliest and latest).
        package var timestamp: Int64

        package init(partition: Int32, error: SluiceError? = nil, offset: Int64, timestamp: Int64) {
            self.partition = partition
            self.error = error
            self.offset = offset
            self.timestamp = timestamp
        }
    }

    package typealias Topic = TopicPartitions<Partition>

    package var topics: [Topic]

    package init(topics: [Topic]) {
        self.topics = topics
    }
}

extension ListOffsetsRequest.Partition: WireCodable {
    static var minWireSize: Int { 12 }
    var wireSize: Int { 12 }

    static func read(from buffer: inout ByteBuffer) throws(SluiceError) -> ListOffsetsRequest.Partition {
        let partition = try buffer.readInt32()
        let timestamp = try buffer.readInt64()
        guard let spec = OffsetSpec(rawValue: timestamp) else {
            throw .malformed("list offsets timestamp must be -2, -1 or at least 0, not \(timestamp)")
        }
        return .init(partition: partition, spec: spec)
    }

    func write(to buffer: inout ByteBuffer) {
        buffer.writeInt32(partition)
        buffer.writeInt64(spec.rawValue)
    }
}

extension ListOffsetsRequest: WireCodable {
    var wireSize: Int { WireSize.array(topics) }

    static func read(from buffer: inout ByteBuffer) throws(SluiceError) -> ListOffsetsRequest {
        ListOffsetsRequest(topics: try buffer.readArray())
    }

    func write(to buffer: inout ByteBuffer) {
        buffer.writeArray(topics)
    }
}

extension ListOffsetsResponse.Partition: WireCodable {
    static var minWireSize: Int { 24 }
    var wireSize: Int { 4 + WireSize.error(error) + 16 }

    static func read(from buffer: inout ByteBuffer) throws(SluiceError) -> ListOffsetsResponse.Partition {
        .init(
            partition: try buffer.readInt32(), error: try buffer.readError(), offset: try buffer.readInt64(),
            timestamp: try buffer.readInt64())
    }

    func write(to buffer: inout ByteBuffer) {
        buffer.writeInt32(partition)
        buffer.writeError(error)
        buffer.writeInt64(offset)
        buffer.writeInt64(timestamp)
    }
}

extension ListOffsetsResponse: WireCodable {
    var wireSize: Int { WireSize.array(topics) }

    static func read(from buffer: inout ByteBuffer) throws(SluiceError) -> ListOffsetsResponse {
        ListOffsetsResponse(topics: try buffer.readArray())
    }

    func write(to buffer: inout ByteBuffer) {
        buffer.writeArray(topics)
    }
}
