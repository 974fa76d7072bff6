import NIOCore

/// ListOffsets request (key 2), v0–9 (Apache Kafka 3.9): v0 asks for up to max_num_offsets offsets, flexible from
/// v6; v7 adds timestamp -3 (the record with the largest timestamp), v8 -4 (the local log start), v9 -5 (the last
/// tiered offset).
package struct KafkaListOffsetsRequest: Sendable, Hashable {
    package struct Partition: Sendable, Hashable {
        package var partitionIndex: Int32
        /// v4+; -1 below.
        package var currentLeaderEpoch: Int32
        /// -2 = log start, -1 = log end, otherwise a timestamp in ms.
        package var timestamp: Int64
        /// v0 only; 1 above.
        package var maxNumOffsets: Int32
        package init(partitionIndex: Int32, currentLeaderEpoch: Int32 = -1, timestamp: Int64, maxNumOffsets: Int32 = 1)
        {
            self.partitionIndex = partitionIndex
            self.currentLeaderEpoch = currentLeaderEpoch
            self.timestamp = timestamp
            self.maxNumOffsets = maxNumOffsets
        }
    }

    package typealias Topic = KafkaTopic<Partition>

    package var replicaId: Int32
    /// v2+; 0 below.
    package var isolationLevel: Int8
    package var topics: [Topic]

    package init(replicaId: Int32 = -1, isolationLevel: Int8 = 0, topics: [Topic]) {
        self.replicaId = replicaId
        self.isolationLevel = isolationLevel
        self.topics = topics
    }

    static func decode(version: Int16, from buffer: inout ByteBuffer) throws(KafkaDecodeError) -> Self {
        let flexible = version >= 6
        let replicaId = try buffer.readKafkaInt32("replica_id")
        let isolation = version >= 2 ? try buffer.readKafkaInt8("isolation_level") : 0
        let topics = try buffer.readKafkaArray(minElementSize: 6, "topics", flexible: flexible) {
            buffer throws(KafkaDecodeError) in
            let name = try buffer.readKafkaString("topic", flexible: flexible)
            let partitions = try buffer.readKafkaArray(minElementSize: 12, "partitions", flexible: flexible) {
                buffer throws(KafkaDecodeError) in
                let index = try buffer.readKafkaInt32("partition_index")
                let epoch = version >= 4 ? try buffer.readKafkaInt32("current_leader_epoch") : -1
                let timestamp = try buffer.readKafkaInt64("timestamp")
                let maxNumOffsets = version == 0 ? try buffer.readKafkaInt32("max_num_offsets") : 1
                try buffer.skipKafkaTaggedFields(flexible: flexible)
                return Partition(
                    partitionIndex: index, currentLeaderEpoch: epoch, timestamp: timestamp,
                    maxNumOffsets: maxNumOffsets)
            }
            try buffer.skipKafkaTaggedFields(flexible: flexible)
            return Topic(name: name, partitions: partitions)
        }
        try buffer.skipKafkaTaggedFields(flexible: flexible)
        return Self(replicaId: replicaId, isolationLevel: isolation, topics: topics)
    }

    func encode(version: Int16, into buffer: inout ByteBuffer) {
        let flexible = version >= 6
        buffer.writeKafkaInt32(replicaId)
        if version >= 2 { buffer.writeKafkaInt8(isolationLevel) }
        buffer.writeKafkaTopics(topics, flexible: flexible) { buffer, partition in
            buffer.writeKafkaInt32(partition.partitionIndex)
            if version >= 4 { buffer.writeKafkaInt32(partition.currentLeaderEpoch) }
            buffer.writeKafkaInt64(partition.timestamp)
            if version == 0 { buffer.writeKafkaInt32(partition.maxNumOffsets) }
        }
        buffer.writeKafkaEmptyTaggedFields(flexible: flexible)
    }
}

/// ListOffsets response, v0–9: one offset per partition, with timestamp -1 for -1/-2 lookups; v0 carries it as its
/// list of old-style offsets (none when the offset is -1).
package struct KafkaListOffsetsResponse: KafkaResponse, Hashable {
    package struct Partition: Sendable, Hashable {
        package var partitionIndex: Int32
        package var errorCode: KafkaErrorCode
        package var timestamp: Int64
        package var offset: Int64
        /// v4+.
        package var leaderEpoch: Int32
        package init(
            partitionIndex: Int32, errorCode: KafkaErrorCode = .none, timestamp: Int64 = -1, offset: Int64,
            leaderEpoch: Int32 = -1
        ) {
            self.partitionIndex = partitionIndex
            self.errorCode = errorCode
            self.timestamp = timestamp
            self.offset = offset
            self.leaderEpoch = leaderEpoch
        }
    }

    package typealias Topic = KafkaTopic<Partition>

    /// v2+.
    package var throttleTimeMs: Int32
    package var topics: [Topic]

    package init(throttleTimeMs: Int32 = 0, topics: [Topic]) {
        self.throttleTimeMs = throttleTimeMs
        self.topics = topics
    }

    package func encode(version: Int16, into buffer: inout ByteBuffer) {
        let flexible = version >= 6
        if version >= 2 { buffer.writeKafkaInt32(throttleTimeMs) }
        buffer.writeKafkaTopics(topics, flexible: flexible) { buffer, partition in
            buffer.writeKafkaInt32(partition.partitionIndex)
            buffer.writeKafkaInt16(partition.errorCode.rawValue)
            if version == 0 {
                buffer.writeKafkaArray(partition.offset >= 0 ? [partition.offset] : []) { $0.writeKafkaInt64($1) }
                return
            }
            buffer.writeKafkaInt64(partition.timestamp)
            buffer.writeKafkaInt64(partition.offset)
            if version >= 4 { buffer.writeKafkaInt32(partition.leaderEpoch) }
        }
        buffer.writeKafkaEmptyTaggedFields(flexible: flexible)
    }
}
