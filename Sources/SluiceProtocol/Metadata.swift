import NIOCore
import SluiceCore

/// Asks for topics and their partitions' offsets (API key 1).
///
/// On the wire: `nullable array<string> topics`.
package struct MetadataRequest: Sendable, Equatable {
    /// The topics to describe; `nil` asks for every topic.
    package var topics: [String]?

    package init(topics: [String]?) {
        self.topics = topics
    }
}

/// Topics and their partitions' offsets.
///
/// On the wire: `array<topic>`, each `string name, int16 errorCode, nullable string errorMessage,
/// array<(int32 partition, int64 logStartOffset, int64 nextOffset)>`.
package struct MetadataResponse: Sendable, Equatable {
    package struct Topic: Sendable, Equatable {
        package var name: String
        /// Why this topic could not be described (e.g. `.unknownTopic`); its partitions are then empty.
        package var error: SluiceError?
        package var partitions: [PartitionOffsets]

        package init(name: String, error: SluiceError? = nil, partitions: [PartitionOffsets]) {
            self.name = name
            self.error = error
            self.partitions = partitions
        }
    }

    package var topics: [Topic]

    package init(topics: [Topic]) {
        self.topics = topics
    }
}

extension MetadataRequest: WireCodable {
    var wireSize: Int { WireSize.nullableArray(topics) }

    static func read(from buffer: inout ByteBuffer) throws(SluiceError) -> MetadataRequest {
        MetadataRequest(topics: try buffer.readNullableArray())
    }

    func write(to buffer: inout ByteBuffer) {
        buffer.writeNullableArray(topics)
    }
}

extension PartitionOffsets: WireCodable {
    static var minWireSize: Int { 20 }
    var wireSize: Int { 20 }

    static func read(from buffer: inout ByteBuffer) throws(SluiceError) -> PartitionOffsets {
        PartitionOffsets(
            partition: try buffer.readInt32(), logStartOffset: try buffer.readInt64(),
            nextOffset: try buffer.readInt64())
    }

    func write(to buffer: inout ByteBuffer) {
        buffer.writeInt32(partition)
        buffer.writeInt64(logStartOffset)
        buffer.writeInt64(nextOffset)
    }
}

extension MetadataResponse.Topic: WireCodable {
    static var minWireSize: Int { 10 }
    var wireSize: Int { WireSize.string(name) + WireSize.error(error) + WireSize.array(partitions) }

    static func read(from buffer: inout ByteBuffer) throws(SluiceError) -> MetadataResponse.Topic {
        MetadataResponse.Topic(
            name: try buffer.readWireString(), error: try buffer.readError(), partitions: try buffer.readArray())
    }

    func write(to buffer: inout ByteBuffer) {
        buffer.writeWireString(name)
        buffer.writeError(error)
        buffer.writeArray(partitions)
    }
}

extension MetadataResponse: WireCodable {
    var wireSize: Int { WireSize.array(topics) }

    static func read(from buffer: inout ByteBuffer) throws(SluiceError) -> MetadataResponse {
        MetadataResponse(topics: try buffer.readArray())
    }

    func write(to buffer: inout ByteBuffer) {
        buffer.writeArray(topics)
    }
}
