import NIOCore

/// Fetch request (key 1), v4–11.
package struct KafkaFetchRequest: Sendable, Hashable {
    package struct Partition: Sendable, Hashable {
        package var partition: Int32
        /// v9+; -1 below (and from clients that never learn epochs).
        package var currentLeaderEpoch: Int32
        package var fetchOffset: Int64
        /// v5+; -1 below. Only followers set it.
        package var logStartOffset: Int64
        package var partitionMaxBytes: Int32
        package init(
            partition: Int32, currentLeaderEpoch: Int32 = -1, fetchOffset: Int64, logStartOffset: Int64 = -1,
            partitionMaxBytes: Int32
        ) {
            self.partition = partition
            self.currentLeaderEpoch = currentLeaderEpoch
            self.fetchOffset = fetchOffset
            self.logStartOffset = logStartOffset
            self.partitionMaxBytes = partitionMaxBytes
        }
    }

    package typealias Topic = KafkaTopic<Partition>

    /// v7+: partitions to drop from an incremental session.
    package typealias ForgottenTopic = KafkaTopic<Int32>

    package var replicaId: Int32
    package var maxWaitMs: Int32
    package var minBytes: Int32
    package var maxBytes: Int32
    /// 0 = read_uncommitted, 1 = read_committed.
    package var isolationLevel: Int8
    /// v7+; 0 and -1 below.
    package var sessionId: Int32
    package var sessionEpoch: Int32
    package var topics: [Topic]
    /// v7+.
    package var forgottenTopics: [ForgottenTopic]
    /// v11+; "" below.
    package var rackId: String

    package init(
        replicaId: Int32 = -1, maxWaitMs: Int32, minBytes: Int32, maxBytes: Int32 = Int32.max,
        isolationLevel: Int8 = 0, sessionId: Int32 = 0, sessionEpoch: Int32 = -1, topics: [Topic],
        forgottenTopics: [ForgottenTopic] = [], rackId: String = ""
    ) {
        self.replicaId = replicaId
        self.maxWaitMs = maxWaitMs
        self.minBytes = minBytes
        self.maxBytes = maxBytes
        self.isolationLevel = isolationLevel
        self.sessionId = sessionId
        self.sessionEpoch = sessionEpoch
        self.topics = topics
        self.forgottenTopics = forgottenTopics
        self.rackId = rackId
    }

    static func decode(version: Int16, from buffer: inout ByteBuffer) throws(KafkaDecodeError) -> Self {
        var request = Self(
            replicaId: try buffer.readKafkaInt32("replica_id"), maxWaitMs: try buffer.readKafkaInt32("max_wait_ms"),
            minBytes: try buffer.readKafkaInt32("min_bytes"), maxBytes: try buffer.readKafkaInt32("max_bytes"),
            isolationLevel: try buffer.readKafkaInt8("isolation_level"), topics: [])
        if version >= 7 {
            request.sessionId = try buffer.readKafkaInt32("session_id")
            request.sessionEpoch = try buffer.readKafkaInt32("session_epoch")
        }
        request.topics = try buffer.readKafkaArray(minElementSize: 6, "topics") { buffer throws(KafkaDecodeError) in
            let topic = try buffer.readKafkaString("topic")
            let partitions = try buffer.readKafkaArray(minElementSize: 16, "partitions") {
                buffer throws(KafkaDecodeError) in
                let partition = try buffer.readKafkaInt32("partition")
                let epoch = version >= 9 ? try buffer.readKafkaInt32("current_leader_epoch") : -1
                let fetchOffset = try buffer.readKafkaInt64("fetch_offset")
                let logStart = version >= 5 ? try buffer.readKafkaInt64("log_start_offset") : -1
                return Partition(
                    partition: partition, currentLeaderEpoch: epoch, fetchOffset: fetchOffset,
                    logStartOffset: logStart, partitionMaxBytes: try buffer.readKafkaInt32("partition_max_bytes"))
            }
            return Topic(name: topic, partitions: partitions)
        }
        if version >= 7 {
            request.forgottenTopics = try buffer.readKafkaArray(minElementSize: 6, "forgotten_topics_data") {
                buffer throws(KafkaDecodeError) in
                ForgottenTopic(
                    name: try buffer.readKafkaString("topic"), partitions: try buffer.readKafkaInt32Array("partitions"))
            }
        }
        if version >= 11 { request.rackId = try buffer.readKafkaString("rack_id") }
        return request
    }

    func encode(version: Int16, into buffer: inout ByteBuffer) {
        buffer.writeKafkaInt32(replicaId)
        buffer.writeKafkaInt32(maxWaitMs)
        buffer.writeKafkaInt32(minBytes)
        buffer.writeKafkaInt32(maxBytes)
        buffer.writeKafkaInt8(isolationLevel)
        if version >= 7 {
            buffer.writeKafkaInt32(sessionId)
            buffer.writeKafkaInt32(sessionEpoch)
        }
        buffer.writeKafkaTopics(topics) { buffer, partition in
            buffer.writeKafkaInt32(partition.partition)
            if version >= 9 { buffer.writeKafkaInt32(partition.currentLeaderEpoch) }
            buffer.writeKafkaInt64(partition.fetchOffset)
            if version >= 5 { buffer.writeKafkaInt64(partition.logStartOffset) }
            buffer.writeKafkaInt32(partition.partitionMaxBytes)
        }
        if version >= 7 {
            buffer.writeKafkaArray(forgottenTopics) { buffer, topic in
                buffer.writeKafkaString(topic.name)
                buffer.writeKafkaInt32Array(topic.partitions)
            }
        }
        if version >= 11 { buffer.writeKafkaString(rackId) }
    }
}

/// Fetch response, v4–11. Records are never null: an empty partition carries empty bytes (KAFKA-COMPAT §4.5).
package struct KafkaFetchResponse: KafkaResponse, Hashable {
    package struct Partition: Sendable, Hashable {
        package var partitionIndex: Int32
        package var errorCode: KafkaErrorCode
        package var highWatermark: Int64
        /// v4+.
        package var lastStableOffset: Int64
        /// v5+.
        package var logStartOffset: Int64
        /// Whole RecordBatch v2 bytes (e.g. from `KafkaRecordBatchWriter`), possibly empty. Written as int32
        /// length + bytes; aborted_transactions is always written as an empty array and preferred_read_replica
        /// (v11) as -1.
        package var records: ByteBuffer
        package init(
            partitionIndex: Int32, errorCode: KafkaErrorCode = .none, highWatermark: Int64, lastStableOffset: Int64,
            logStartOffset: Int64, records: ByteBuffer = ByteBuffer()
        ) {
            self.partitionIndex = partitionIndex
            self.errorCode = errorCode
            self.highWatermark = highWatermark
            self.lastStableOffset = lastStableOffset
            self.logStartOffset = logStartOffset
            self.records = records
        }
    }

    package typealias Topic = KafkaTopic<Partition>

    package var throttleTimeMs: Int32
    /// v7+.
    package var errorCode: KafkaErrorCode
    /// v7+; 0 = no session (always a full response).
    package var sessionId: Int32
    package var topics: [Topic]

    package init(throttleTimeMs: Int32 = 0, errorCode: KafkaErrorCode = .none, sessionId: Int32 = 0, topics: [Topic]) {
        self.throttleTimeMs = throttleTimeMs
        self.errorCode = errorCode
        self.sessionId = sessionId
        self.topics = topics
    }

    package func encode(version: Int16, into buffer: inout ByteBuffer) {
        buffer.writeKafkaInt32(throttleTimeMs)
        if version >= 7 {
            buffer.writeKafkaInt16(errorCode.rawValue)
            buffer.writeKafkaInt32(sessionId)
        }
        buffer.writeKafkaTopics(topics) { buffer, partition in
            buffer.writeKafkaInt32(partition.partitionIndex)
            buffer.writeKafkaInt16(partition.errorCode.rawValue)
            buffer.writeKafkaInt64(partition.highWatermark)
            buffer.writeKafkaInt64(partition.lastStableOffset)
            if version >= 5 { buffer.writeKafkaInt64(partition.logStartOffset) }
            buffer.writeKafkaInt32(0)  // aborted_transactions: empty
            if version >= 11 { buffer.writeKafkaInt32(-1) }  // preferred_read_replica
            var records = partition.records
            buffer.writeKafkaInt32(Int32(records.readableBytes))
            buffer.writeBuffer(&records)
        }
    }
}
