import NIOCore

/// OffsetCommit request (key 8), v2–7.
package struct KafkaOffsetCommitRequest: Sendable, Hashable {
    package struct Partition: Sendable, Hashable {
        package var partitionIndex: Int32
        package var committedOffset: Int64
        /// v6+; -1 below.
        package var committedLeaderEpoch: Int32
        package var committedMetadata: String?
        package init(
            partitionIndex: Int32, committedOffset: Int64, committedLeaderEpoch: Int32 = -1, committedMetadata: String?
        ) {
            self.partitionIndex = partitionIndex
            self.committedOffset = committedOffset
            self.committedLeaderEpoch = committedLeaderEpoch
            self.committedMetadata = committedMetadata
        }
    }

    package typealias Topic = KafkaTopic<Partition>

    package var groupId: String
    /// -1 with an empty member id: a standalone commit.
    package var generationId: Int32
    package var memberId: String
    /// v7+.
    package var groupInstanceId: String?
    /// v2–4; -1 = broker default.
    package var retentionTimeMs: Int64
    package var topics: [Topic]

    package init(
        groupId: String, generationId: Int32, memberId: String, groupInstanceId: String? = nil,
        retentionTimeMs: Int64 = -1, topics: [Topic]
    ) {
        self.groupId = groupId
        self.generationId = generationId
        self.memberId = memberId
        self.groupInstanceId = groupInstanceId
        self.retentionTimeMs = retentionTimeMs
        self.topics = topics
    }

    static func decode(version: Int16, from buffer: inout ByteBuffer) throws(KafkaDecodeError) -> Self {
        let groupId = try buffer.readKafkaString("group_id")
        let generation = try buffer.readKafkaInt32("generation_id")
        let memberId = try buffer.readKafkaString("member_id")
        let instance = version >= 7 ? try buffer.readKafkaNullableString("group_instance_id") : nil
        let retention = version <= 4 ? try buffer.readKafkaInt64("retention_time_ms") : -1
        let topics = try buffer.readKafkaArray(minElementSize: 6, "topics") { buffer throws(KafkaDecodeError) in
            let name = try buffer.readKafkaString("topic")
            let partitions = try buffer.readKafkaArray(minElementSize: 14, "partitions") {
                buffer throws(KafkaDecodeError) in
                let index = try buffer.readKafkaInt32("partition_index")
                let offset = try buffer.readKafkaInt64("committed_offset")
                let epoch = version >= 6 ? try buffer.readKafkaInt32("committed_leader_epoch") : -1
                return Partition(
                    partitionIndex: index, committedOffset: offset, committedLeaderEpoch: epoch,
                    committedMetadata: try buffer.readKafkaNullableString("committed_metadata"))
            }
            return Topic(name: name, partitions: partitions)
        }
        return Self(
            groupId: groupId, generationId: generation, memberId: memberId, groupInstanceId: instance,
            retentionTimeMs: retention, topics: topics)
    }

    func encode(version: Int16, into buffer: inout ByteBuffer) {
        buffer.writeKafkaString(groupId)
        buffer.writeKafkaInt32(generationId)
        buffer.writeKafkaString(memberId)
        if version >= 7 { buffer.writeKafkaNullableString(groupInstanceId) }
        if version <= 4 { buffer.writeKafkaInt64(retentionTimeMs) }
        buffer.writeKafkaTopics(topics) { buffer, partition in
            buffer.writeKafkaInt32(partition.partitionIndex)
            buffer.writeKafkaInt64(partition.committedOffset)
            if version >= 6 { buffer.writeKafkaInt32(partition.committedLeaderEpoch) }
            buffer.writeKafkaNullableString(partition.committedMetadata)
        }
    }
}

/// OffsetCommit response, v2–7.
package struct KafkaOffsetCommitResponse: KafkaResponse, Hashable {
    package struct Partition: Sendable, Hashable {
        package var partitionIndex: Int32
        package var errorCode: KafkaErrorCode
        package init(partitionIndex: Int32, errorCode: KafkaErrorCode = .none) {
            self.partitionIndex = partitionIndex
            self.errorCode = errorCode
        }
    }

    package typealias Topic = KafkaTopic<Partition>

    /// v3+.
    package var throttleTimeMs: Int32
    package var topics: [Topic]

    package init(throttleTimeMs: Int32 = 0, topics: [Topic]) {
        self.throttleTimeMs = throttleTimeMs
        self.topics = topics
    }

    package func encode(version: Int16, into buffer: inout ByteBuffer) {
        if version >= 3 { buffer.writeKafkaInt32(throttleTimeMs) }
        buffer.writeKafkaTopics(topics) { buffer, partition in
            buffer.writeKafkaInt32(partition.partitionIndex)
            buffer.writeKafkaInt16(partition.errorCode.rawValue)
        }
    }
}
