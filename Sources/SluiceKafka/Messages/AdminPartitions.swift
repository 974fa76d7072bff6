import NIOCore

/// CreatePartitions request (key 37), v0–3; flexible from v2. Each topic names its new total partition count.
package struct KafkaCreatePartitionsRequest: Sendable, Hashable {
    package struct Topic: Sendable, Hashable {
        package var name: String
        package var count: Int32
        /// Replica broker ids per new partition; nil lets the broker choose.
        package var assignments: [[Int32]]?

        package init(name: String, count: Int32, assignments: [[Int32]]? = nil) {
            self.name = name
            self.count = count
            self.assignments = assignments
        }
    }

    package var topics: [Topic]
    package var timeoutMs: Int32
    package var validateOnly: Bool

    package init(topics: [Topic], timeoutMs: Int32, validateOnly: Bool = false) {
        self.topics = topics
        self.timeoutMs = timeoutMs
        self.validateOnly = validateOnly
    }

    static func decode(version: Int16, from buffer: inout ByteBuffer) throws(KafkaDecodeError) -> Self {
        let flexible = version >= 2
        let topics = try buffer.readVersionedArray(flexible, minElementSize: 6, "topics") {
            buffer throws(KafkaDecodeError) in
            let name = try buffer.readVersionedString(flexible, "name")
            let count = try buffer.readKafkaInt32("count")
            let assignments = try buffer.readVersionedNullableArray(flexible, minElementSize: 1, "assignments") {
                buffer throws(KafkaDecodeError) in
                let brokers = try buffer.readVersionedInt32Array(flexible, "broker_ids")
                try buffer.readVersionedTags(flexible)
                return brokers
            }
            try buffer.readVersionedTags(flexible)
            return Topic(name: name, count: count, assignments: assignments)
        }
        let request = Self(
            topics: topics, timeoutMs: try buffer.readKafkaInt32("timeout_ms"),
            validateOnly: try buffer.readKafkaBool("validate_only"))
        try buffer.readVersionedTags(flexible)
        return request
    }

    func encode(version: Int16, into buffer: inout ByteBuffer) {
        let flexible = version >= 2
        buffer.writeVersionedArray(topics, flexible) { buffer, topic in
            buffer.writeVersionedString(topic.name, flexible)
            buffer.writeKafkaInt32(topic.count)
            buffer.writeVersionedNullableArray(topic.assignments, flexible) { buffer, brokers in
                buffer.writeVersionedInt32Array(brokers, flexible)
                buffer.writeVersionedTags(flexible)
            }
            buffer.writeVersionedTags(flexible)
        }
        buffer.writeKafkaInt32(timeoutMs)
        buffer.writeKafkaBool(validateOnly)
        buffer.writeVersionedTags(flexible)
    }
}

/// CreatePartitions response, v0–3.
package struct KafkaCreatePartitionsResponse: KafkaResponse, Hashable {
    package var throttleTimeMs: Int32
    package var results: [KafkaTopicResult]

    package init(throttleTimeMs: Int32 = 0, results: [KafkaTopicResult]) {
        self.throttleTimeMs = throttleTimeMs
        self.results = results
    }

    package func encode(version: Int16, into buffer: inout ByteBuffer) {
        let flexible = version >= 2
        buffer.writeKafkaInt32(throttleTimeMs)
        buffer.writeVersionedArray(results, flexible) { buffer, result in
            buffer.writeVersionedString(result.name ?? "", flexible)
            buffer.writeKafkaInt16(result.errorCode.rawValue)
            buffer.writeVersionedNullableString(result.errorMessage, flexible)
            buffer.writeVersionedTags(flexible)
        }
        buffer.writeVersionedTags(flexible)
    }
}

/// DeleteRecords request (key 21), v0–2; flexible from v2: per partition, the offset below which records go
/// (-1: the high watermark).
package struct KafkaDeleteRecordsRequest: Sendable, Hashable {
    package struct Partition: Sendable, Hashable {
        package var partitionIndex: Int32
        package var offset: Int64

        package init(partitionIndex: Int32, offset: Int64) {
            self.partitionIndex = partitionIndex
            self.offset = offset
        }
    }

    package var topics: [KafkaTopic<Partition>]
    package var timeoutMs: Int32

    package init(topics: [KafkaTopic<Partition>], timeoutMs: Int32) {
        self.topics = topics
        self.timeoutMs = timeoutMs
    }

    static func decode(version: Int16, from buffer: inout ByteBuffer) throws(KafkaDecodeError) -> Self {
        let flexible = version >= 2
        let topics = try buffer.readVersionedArray(flexible, minElementSize: 3, "topics") {
            buffer throws(KafkaDecodeError) in
            let name = try buffer.readVersionedString(flexible, "name")
            let partitions = try buffer.readVersionedArray(flexible, minElementSize: 12, "partitions") {
                buffer throws(KafkaDecodeError) in
                let partition = Partition(
                    partitionIndex: try buffer.readKafkaInt32("partition_index"),
                    offset: try buffer.readKafkaInt64("offset"))
                try buffer.readVersionedTags(flexible)
                return partition
            }
            try buffer.readVersionedTags(flexible)
            return KafkaTopic(name: name, partitions: partitions)
        }
        let request = Self(topics: topics, timeoutMs: try buffer.readKafkaInt32("timeout_ms"))
        try buffer.readVersionedTags(flexible)
        return request
    }

    func encode(version: Int16, into buffer: inout ByteBuffer) {
        let flexible = version >= 2
        buffer.writeVersionedArray(topics, flexible) { buffer, topic in
            buffer.writeVersionedString(topic.name, flexible)
            buffer.writeVersionedArray(topic.partitions, flexible) { buffer, partition in
                buffer.writeKafkaInt32(partition.partitionIndex)
                buffer.writeKafkaInt64(partition.offset)
                buffer.writeVersionedTags(flexible)
            }
            buffer.writeVersionedTags(flexible)
        }
        buffer.writeKafkaInt32(timeoutMs)
        buffer.writeVersionedTags(flexible)
    }
}

/// DeleteRecords response, v0–2: each partition's new log start (low watermark).
package struct KafkaDeleteRecordsResponse: KafkaResponse, Hashable {
    package struct Partition: Sendable, Hashable {
        package var partitionIndex: Int32
        package var lowWatermark: Int64
        package var errorCode: KafkaErrorCode

        package init(partitionIndex: Int32, lowWatermark: Int64, errorCode: KafkaErrorCode = .none) {
            self.partitionIndex = partitionIndex
            self.lowWatermark = lowWatermark
            self.errorCode = errorCode
        }
    }

    package var throttleTimeMs: Int32
    package var topics: [KafkaTopic<Partition>]

    package init(throttleTimeMs: Int32 = 0, topics: [KafkaTopic<Partition>]) {
        self.throttleTimeMs = throttleTimeMs
        self.topics = topics
    }

    package func encode(version: Int16, into buffer: inout ByteBuffer) {
        let flexible = version >= 2
        buffer.writeKafkaInt32(throttleTimeMs)
        buffer.writeVersionedArray(topics, flexible) { buffer, topic in
            buffer.writeVersionedString(topic.name, flexible)
            buffer.writeVersionedArray(topic.partitions, flexible) { buffer, partition in
                buffer.writeKafkaInt32(partition.partitionIndex)
                buffer.writeKafkaInt64(partition.lowWatermark)
                buffer.writeKafkaInt16(partition.errorCode.rawValue)
                buffer.writeVersionedTags(flexible)
            }
            buffer.writeVersionedTags(flexible)
        }
        buffer.writeVersionedTags(flexible)
    }
}

/// OffsetForLeaderEpoch request (key 23), v0–4; flexible from v4. v2 adds the current leader epoch, v3 the
/// replica id.
package struct KafkaOffsetForLeaderEpochRequest: Sendable, Hashable {
    package struct Partition: Sendable, Hashable {
        package var partition: Int32
        /// v2+; -1 when not sent.
        package var currentLeaderEpoch: Int32
        package var leaderEpoch: Int32

        package init(partition: Int32, currentLeaderEpoch: Int32 = -1, leaderEpoch: Int32) {
            self.partition = partition
            self.currentLeaderEpoch = currentLeaderEpoch
            self.leaderEpoch = leaderEpoch
        }
    }

    /// v3+; -2 (a consumer, "debug") when not sent.
    package var replicaId: Int32
    package var topics: [KafkaTopic<Partition>]

    package init(replicaId: Int32 = -2, topics: [KafkaTopic<Partition>]) {
        self.replicaId = replicaId
        self.topics = topics
    }

    static func decode(version: Int16, from buffer: inout ByteBuffer) throws(KafkaDecodeError) -> Self {
        let flexible = version >= 4
        let replicaId = version >= 3 ? try buffer.readKafkaInt32("replica_id") : -2
        let topics = try buffer.readVersionedArray(flexible, minElementSize: 3, "topics") {
            buffer throws(KafkaDecodeError) in
            let name = try buffer.readVersionedString(flexible, "topic")
            let partitions = try buffer.readVersionedArray(flexible, minElementSize: 8, "partitions") {
                buffer throws(KafkaDecodeError) in
                let index = try buffer.readKafkaInt32("partition")
                let current = version >= 2 ? try buffer.readKafkaInt32("current_leader_epoch") : -1
                let partition = Partition(
                    partition: index, currentLeaderEpoch: current,
                    leaderEpoch: try buffer.readKafkaInt32("leader_epoch"))
                try buffer.readVersionedTags(flexible)
                return partition
            }
            try buffer.readVersionedTags(flexible)
            return KafkaTopic(name: name, partitions: partitions)
        }
        try buffer.readVersionedTags(flexible)
        return Self(replicaId: replicaId, topics: topics)
    }

    func encode(version: Int16, into buffer: inout ByteBuffer) {
        let flexible = version >= 4
        if version >= 3 { buffer.writeKafkaInt32(replicaId) }
        buffer.writeVersionedArray(topics, flexible) { buffer, topic in
            buffer.writeVersionedString(topic.name, flexible)
            buffer.writeVersionedArray(topic.partitions, flexible) { buffer, partition in
                buffer.writeKafkaInt32(partition.partition)
                if version >= 2 { buffer.writeKafkaInt32(partition.currentLeaderEpoch) }
                buffer.writeKafkaInt32(partition.leaderEpoch)
                buffer.writeVersionedTags(flexible)
            }
            buffer.writeVersionedTags(flexible)
        }
        buffer.writeVersionedTags(flexible)
    }
}

/// OffsetForLeaderEpoch response, v0–4.
package struct KafkaOffsetForLeaderEpochResponse: KafkaResponse, Hashable {
    package struct Partition: Sendable, Hashable {
        package var errorCode: KafkaErrorCode
        package var partition: Int32
        /// v1+.
        package var leaderEpoch: Int32
        package var endOffset: Int64

        package init(errorCode: KafkaErrorCode = .none, partition: Int32, leaderEpoch: Int32, endOffset: Int64) {
            self.errorCode = errorCode
            self.partition = partition
            self.leaderEpoch = leaderEpoch
            self.endOffset = endOffset
        }
    }

    package var throttleTimeMs: Int32
    package var topics: [KafkaTopic<Partition>]

    package init(throttleTimeMs: Int32 = 0, topics: [KafkaTopic<Partition>]) {
        self.throttleTimeMs = throttleTimeMs
        self.topics = topics
    }

    package func encode(version: Int16, into buffer: inout ByteBuffer) {
        let flexible = version >= 4
        if version >= 2 { buffer.writeKafkaInt32(throttleTimeMs) }
        buffer.writeVersionedArray(topics, flexible) { buffer, topic in
            buffer.writeVersionedString(topic.name, flexible)
            buffer.writeVersionedArray(topic.partitions, flexible) { buffer, partition in
                buffer.writeKafkaInt16(partition.errorCode.rawValue)
                buffer.writeKafkaInt32(partition.partition)
                if version >= 1 { buffer.writeKafkaInt32(partition.leaderEpoch) }
                buffer.writeKafkaInt64(partition.endOffset)
                buffer.writeVersionedTags(flexible)
            }
            buffer.writeVersionedTags(flexible)
        }
        buffer.writeVersionedTags(flexible)
    }
}
