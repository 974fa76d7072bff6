import NIOCore

/// OffsetCommit request (key 8), v2–7.
public struct KafkaOffsetCommitRequest: Sendable, Hashable {
    public struct Partition: Sendable, Hashable {
        public var partitionIndex: Int32
        public var committedOffset: Int64
        /// v6+; -1 below.
        public var committedLeaderEpoch: Int32
        public var committedMetadata: String?
        public init(partitionIndex: Int32, committedOffset: Int64, committedLeaderEpoch: Int32 = -1, committedMetadata: String?) {
            self.partitionIndex = partitionIndex
            self.committedOffset = committedOffset
            self.committedLeaderEpoch = committedLeaderEpoch
            self.committedMetadata = committedMetadata
        }
    }

    public typealias Topic = KafkaTopic<Partition>

    public var groupId: String
    /// -1 with an empty member id: a standalone commit.
    public var generationId: Int32
    public var memberId: String
    /// v7+.
    public var groupInstanceId: String?
    /// v2–4; -1 = broker default.
    public var retentionTimeMs: Int64
    public var topics: [Topic]

    public init(
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
public struct KafkaOffsetCommitResponse: KafkaResponse, Hashable {
    public struct Partition: Sendable, Hashable {
        public var partitionIndex: Int32
        public var errorCode: KafkaErrorCode
        public init(partitionIndex: Int32, errorCode: KafkaErrorCode = .none) {
            self.partitionIndex = partitionIndex
            self.errorCode = errorCode
        }
    }

    public typealias Topic = KafkaTopic<Partition>

    /// v3+.
    public var throttleTimeMs: Int32
    public var topics: [Topic]

    public init(throttleTimeMs: Int32 = 0, topics: [Topic]) {
        self.throttleTimeMs = throttleTimeMs
        self.topics = topics
    }

    public func encode(version: Int16, into buffer: inout ByteBuffer) {
        if version >= 3 { buffer.writeKafkaInt32(throttleTimeMs) }
        buffer.writeKafkaTopics(topics) { buffer, partition in
            buffer.writeKafkaInt32(partition.partitionIndex)
            buffer.writeKafkaInt16(partition.errorCode.rawValue)
        }
    }
}
