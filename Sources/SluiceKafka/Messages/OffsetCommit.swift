import NIOCore

/// OffsetCommit request (key 8), v0–9; flexible from v8. v9 is v8 for the KIP-848 protocol (the generation is the
/// member epoch there).
package struct KafkaOffsetCommitRequest: Sendable, Hashable {
    package struct Partition: Sendable, Hashable {
        package var partitionIndex: Int32
        package var committedOffset: Int64
        /// v6+; -1 below.
        package var committedLeaderEpoch: Int32
        /// v1 only; -1 elsewhere. Kafka expired offsets from it; Sluice keeps committed offsets until replaced.
        package var commitTimestamp: Int64
        package var committedMetadata: String?
        package init(
            partitionIndex: Int32, committedOffset: Int64, committedLeaderEpoch: Int32 = -1,
            commitTimestamp: Int64 = -1, committedMetadata: String?
        ) {
            self.partitionIndex = partitionIndex
            self.committedOffset = committedOffset
            self.committedLeaderEpoch = committedLeaderEpoch
            self.commitTimestamp = commitTimestamp
            self.committedMetadata = committedMetadata
        }
    }

    package typealias Topic = KafkaTopic<Partition>

    package var groupId: String
    /// v1+; -1 with an empty member id: a standalone commit (v0 always is one).
    package var generationId: Int32
    /// v1+; "" below.
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
        let flexible = KafkaFlexibleVersions.isFlexible(.offsetCommit, version)
        let groupId = try buffer.readKafkaString("group_id", flexible: flexible)
        let generation = version >= 1 ? try buffer.readKafkaInt32("generation_id") : -1
        let memberId = version >= 1 ? try buffer.readKafkaString("member_id", flexible: flexible) : ""
        let instance = version >= 7 ? try buffer.readKafkaNullableString("group_instance_id", flexible: flexible) : nil
        let retention = (2...4).contains(version) ? try buffer.readKafkaInt64("retention_time_ms") : -1
        let topics = try buffer.readKafkaArray(minElementSize: flexible ? 3 : 6, "topics", flexible: flexible) {
            buffer throws(KafkaDecodeError) in
            let name = try buffer.readKafkaString("topic", flexible: flexible)
            let partitions = try buffer.readKafkaArray(minElementSize: 14, "partitions", flexible: flexible) {
                buffer throws(KafkaDecodeError) in
                let index = try buffer.readKafkaInt32("partition_index")
                let offset = try buffer.readKafkaInt64("committed_offset")
                let epoch = version >= 6 ? try buffer.readKafkaInt32("committed_leader_epoch") : -1
                let timestamp = version == 1 ? try buffer.readKafkaInt64("commit_timestamp") : -1
                let metadata = try buffer.readKafkaNullableString("committed_metadata", flexible: flexible)
                try buffer.skipKafkaTaggedFields(flexible: flexible)
                return Partition(
                    partitionIndex: index, committedOffset: offset, committedLeaderEpoch: epoch,
                    commitTimestamp: timestamp, committedMetadata: metadata)
            }
            try buffer.skipKafkaTaggedFields(flexible: flexible)
            return Topic(name: name, partitions: partitions)
        }
        try buffer.skipKafkaTaggedFields(flexible: flexible)
        return Self(
            groupId: groupId, generationId: generation, memberId: memberId, groupInstanceId: instance,
            retentionTimeMs: retention, topics: topics)
    }

    func encode(version: Int16, into buffer: inout ByteBuffer) {
        let flexible = KafkaFlexibleVersions.isFlexible(.offsetCommit, version)
        buffer.writeKafkaString(groupId, flexible: flexible)
        if version >= 1 {
            buffer.writeKafkaInt32(generationId)
            buffer.writeKafkaString(memberId, flexible: flexible)
        }
        if version >= 7 { buffer.writeKafkaNullableString(groupInstanceId, flexible: flexible) }
        if (2...4).contains(version) { buffer.writeKafkaInt64(retentionTimeMs) }
        buffer.writeKafkaArray(topics, flexible: flexible) { buffer, topic in
            buffer.writeKafkaString(topic.name, flexible: flexible)
            buffer.writeKafkaArray(topic.partitions, flexible: flexible) { buffer, partition in
                buffer.writeKafkaInt32(partition.partitionIndex)
                buffer.writeKafkaInt64(partition.committedOffset)
                if version >= 6 { buffer.writeKafkaInt32(partition.committedLeaderEpoch) }
                if version == 1 { buffer.writeKafkaInt64(partition.commitTimestamp) }
                buffer.writeKafkaNullableString(partition.committedMetadata, flexible: flexible)
                buffer.writeKafkaEmptyTaggedFields(flexible: flexible)
            }
            buffer.writeKafkaEmptyTaggedFields(flexible: flexible)
        }
        buffer.writeKafkaEmptyTaggedFields(flexible: flexible)
    }
}

/// OffsetCommit response, v0–9.
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
        let flexible = KafkaFlexibleVersions.isFlexible(.offsetCommit, version)
        if version >= 3 { buffer.writeKafkaInt32(throttleTimeMs) }
        buffer.writeKafkaTopics(topics, flexible: flexible) { buffer, partition in
            buffer.writeKafkaInt32(partition.partitionIndex)
            buffer.writeKafkaInt16(partition.errorCode.rawValue)
        }
        buffer.writeKafkaEmptyTaggedFields(flexible: flexible)
    }
}
