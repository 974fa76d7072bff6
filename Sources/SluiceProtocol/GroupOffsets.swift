import NIOCore
import SluiceCore

// Committing and fetching a consumer group's offsets (API keys 9 and 10).

/// Stores a group's consumed offsets (API key 9).
///
/// On the wire: `string group, int32 generation (-1 = none), string memberId ("" = none),
/// array<(string topic, array<(int32 partition, int64 offset, nullable string metadata)>)> topics`.
package struct CommitOffsetsRequest: Sendable, Equatable {
    package struct Partition: Sendable, Equatable {
        package var partition: Int32
        /// The next offset to consume (one past the last record processed).
        package var offset: Int64
        /// Free text stored with the offset.
        package var metadata: String?

        package init(partition: Int32, offset: Int64, metadata: String? = nil) {
            self.partition = partition
            self.offset = offset
            self.metadata = metadata
        }
    }

    package typealias Topic = TopicPartitions<Partition>

    package var group: String
    /// The group generation the committing member belongs to; `nil` (-1 on the wire) for a standalone commit.
    package var generation: Int32?
    /// The committing member; empty for a standalone commit.
    package var memberID: String
    package var topics: [Topic]

    package init(group: String, generation: Int32? = nil, memberID: String = "", topics: [Topic]) {
        self.group = group
        self.generation = generation
        self.memberID = memberID
        self.topics = topics
    }
}

/// The outcome of a commit, per partition.
///
/// On the wire: `array<(string topic, array<(int32 partition, int16 errorCode, nullable string errorMessage)>)>`.
package struct CommitOffsetsResponse: Sendable, Equatable {
    package struct Partition: Sendable, Equatable {
        package var partition: Int32
        package var error: SluiceError?

        package init(partition: Int32, error: SluiceError? = nil) {
            self.partition = partition
            self.error = error
        }
    }

    package typealias Topic = TopicPartitions<Partition>

    package var topics: [Topic]

    package init(topics: [Topic]) {
        self.topics = topics
    }
}

/// Reads a group's committed offsets (API key 10).
///
/// On the wire: `string group, nullable array<(string topic, array<int32 partition>)> topics`.
package struct FetchOffsetsRequest: Sendable, Equatable {
    package typealias Topic = TopicPartitions<Int32>

    package var group: String
    /// The partitions to look up; `nil` asks for every offset the group has committed.
    package var topics: [Topic]?

    package init(group: String, topics: [Topic]?) {
        self.group = group
        self.topics = topics
    }
}

/// A group's committed offsets, per partition.
///
/// On the wire: `array<(string topic, array<(int32 partition, int64 offset, nullable string metadata,
/// int16 errorCode, nullable string errorMessage)>)> topics`.
package struct FetchOffsetsResponse: Sendable, Equatable {
    package struct Partition: Sendable, Equatable {
        package var partition: Int32
        /// The committed offset; `nil` (-1 on the wire) when none is.
        package var offset: Int64?
        package var metadata: String?
        package var error: SluiceError?

        package init(partition: Int32, offset: Int64?, metadata: String? = nil, error: SluiceError? = nil) {
            self.partition = partition
            self.offset = offset
            self.metadata = metadata
            self.error = error
        }
    }

    package typealias Topic = TopicPartitions<Partition>

    package var topics: [Topic]

    package init(topics: [Topic]) {
        self.topics = topics
    }
}

// MARK: - Wire forms

extension CommitOffsetsRequest.Partition: WireCodable {
    static var minWireSize: Int { 14 }
    var wireSize: Int { 12 + WireSize.nullableString(metadata) }

    static func read(from buffer: inout ByteBuffer) throws(SluiceError) -> CommitOffsetsRequest.Partition {
        .init(
            partition: try buffer.readInt32(), offset: try buffer.readInt64(), metadata: try buffer.readNullableString()
        )
    }

    func write(to buffer: inout ByteBuffer) {
        buffer.writeInt32(partition)
        buffer.writeInt64(offset)
        buffer.writeNullableString(metadata)
    }
}

extension CommitOffsetsRequest: WireCodable {
    var wireSize: Int { WireSize.string(group) + 4 + WireSize.string(memberID) + WireSize.array(topics) }

    static func read(from buffer: inout ByteBuffer) throws(SluiceError) -> CommitOffsetsRequest {
        let group = try buffer.readWireString()
        let generation = try buffer.readInt32()
        return CommitOffsetsRequest(
            group: group, generation: generation == -1 ? nil : generation, memberID: try buffer.readWireString(),
            topics: try buffer.readArray())
    }

    func write(to buffer: inout ByteBuffer) {
        buffer.writeWireString(group)
        buffer.writeInt32(generation ?? -1)
        buffer.writeWireString(memberID)
        buffer.writeArray(topics)
    }
}

extension CommitOffsetsResponse.Partition: WireCodable {
    static var minWireSize: Int { 8 }
    var wireSize: Int { 4 + WireSize.error(error) }

    static func read(from buffer: inout ByteBuffer) throws(SluiceError) -> CommitOffsetsResponse.Partition {
        .init(partition: try buffer.readInt32(), error: try buffer.readError())
    }

    func write(to buffer: inout ByteBuffer) {
        buffer.writeInt32(partition)
        buffer.writeError(error)
    }
}

extension CommitOffsetsResponse: WireCodable {
    var wireSize: Int { WireSize.array(topics) }

    static func read(from buffer: inout ByteBuffer) throws(SluiceError) -> CommitOffsetsResponse {
        CommitOffsetsResponse(topics: try buffer.readArray())
    }

    func write(to buffer: inout ByteBuffer) {
        buffer.writeArray(topics)
    }
}

extension FetchOffsetsRequest: WireCodable {
    var wireSize: Int { WireSize.string(group) + WireSize.nullableArray(topics) }

    static func read(from buffer: inout ByteBuffer) throws(SluiceError) -> FetchOffsetsRequest {
        FetchOffsetsRequest(group: try buffer.readWireString(), topics: try buffer.readNullableArray())
    }

    func write(to buffer: inout ByteBuffer) {
        buffer.writeWireString(group)
        buffer.writeNullableArray(topics)
    }
}

extension FetchOffsetsResponse.Partition: WireCodable {
    static var minWireSize: Int { 18 }
    var wireSize: Int { 12 + WireSize.nullableString(metadata) + WireSize.error(error) }

    static func read(from buffer: inout ByteBuffer) throws(SluiceError) -> FetchOffsetsResponse.Partition {
        let partition = try buffer.readInt32()
        let offset = try buffer.readInt64()
        return .init(
            partition: partition, offset: offset == -1 ? nil : offset, metadata: try buffer.readNullableString(),
            error: try buffer.readError())
    }

    func write(to buffer: inout ByteBuffer) {
        buffer.writeInt32(partition)
        buffer.writeInt64(offset ?? -1)
        buffer.writeNullableString(metadata)
        buffer.writeError(error)
    }
}

extension FetchOffsetsResponse: WireCodable {
    var wireSize: Int { WireSize.array(topics) }

    static func read(from buffer: inout ByteBuffer) throws(SluiceError) -> FetchOffsetsResponse {
        FetchOffsetsResponse(topics: try buffer.readArray())
    }

    func write(to buffer: inout ByteBuffer) {
        buffer.writeArray(topics)
    }
}
