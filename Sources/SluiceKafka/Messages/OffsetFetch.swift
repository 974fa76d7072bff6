import NIOCore

/// OffsetFetch request (key 9), v1–5.
package struct KafkaOffsetFetchRequest: Sendable, Hashable {
    package struct Topic: Sendable, Hashable {
        package var name: String
        package var partitionIndexes: [Int32]
        package init(name: String, partitionIndexes: [Int32]) {
            self.name = name
            self.partitionIndexes = partitionIndexes
        }
    }

    package var groupId: String
    /// `nil` (v2+) asks for every committed partition of the group.
    package var topics: [Topic]?

    package init(groupId: String, topics: [Topic]?) {
        self.groupId = groupId
        self.topics = topics
    }

    static func decode(version: Int16, from buffer: inout ByteBuffer) throws(KafkaDecodeError) -> Self {
        let groupId = try buffer.readKafkaString("group_id")
        let topics = try buffer.readKafkaNullableArray(minElementSize: 6, "topics") { buffer throws(KafkaDecodeError) in
            Topic(
                name: try buffer.readKafkaString("topic"),
                partitionIndexes: try buffer.readKafkaInt32Array("partition_indexes"))
        }
        if topics == nil && version < 2 { throw .invalid("topics: null before v2") }
        return Self(groupId: groupId, topics: topics)
    }

    func encode(version: Int16, into buffer: inout ByteBuffer) {
        buffer.writeKafkaString(groupId)
        buffer.writeKafkaNullableArray(topics) { buffer, topic in
            buffer.writeKafkaString(topic.name)
            buffer.writeKafkaInt32Array(topic.partitionIndexes)
        }
    }
}

/// OffsetFetch response, v1–5. An uncommitted partition is offset -1 with error 0.
package struct KafkaOffsetFetchResponse: KafkaResponse, Hashable {
    package struct Partition: Sendable, Hashable {
        package var partitionIndex: Int32
        package var committedOffset: Int64
        /// v5+.
        package var committedLeaderEpoch: Int32
        package var metadata: String?
        package var errorCode: KafkaErrorCode
        package init(
            partitionIndex: Int32, committedOffset: Int64, committedLeaderEpoch: Int32 = -1, metadata: String?,
            errorCode: KafkaErrorCode = .none
        ) {
            self.partitionIndex = partitionIndex
            self.committedOffset = committedOffset
            self.committedLeaderEpoch = committedLeaderEpoch
            self.metadata = metadata
            self.errorCode = errorCode
        }
    }

    package typealias Topic = KafkaTopic<Partition>

    /// v3+.
    package var throttleTimeMs: Int32
    package var topics: [Topic]
    /// v2+.
    package var errorCode: KafkaErrorCode

    package init(throttleTimeMs: Int32 = 0, topics: [Topic], errorCode: KafkaErrorCode = .none) {
        self.throttleTimeMs = throttleTimeMs
        self.topics = topics
        self.errorCode = errorCode
    }

    package func encode(version: Int16, into buffer: inout ByteBuffer) {
        if version >= 3 { buffer.writeKafkaInt32(throttleTimeMs) }
        buffer.writeKafkaTopics(topics) { buffer, partition in
            buffer.writeKafkaInt32(partition.partitionIndex)
            buffer.writeKafkaInt64(partition.committedOffset)
            if version >= 5 { buffer.writeKafkaInt32(partition.committedLeaderEpoch) }
            buffer.writeKafkaNullableString(partition.metadata)
            buffer.writeKafkaInt16(partition.errorCode.rawValue)
        }
        if version >= 2 { buffer.writeKafkaInt16(errorCode.rawValue) }
    }
}
