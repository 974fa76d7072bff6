import NIOCore

/// Fetch request (key 1), v0–17 (Apache Kafka 3.9): flexible from v12, topics named by id from v13 (KIP-516),
/// the replica id moved into a tagged field from v15. Tagged fields (cluster id, replica state, replica
/// directory id) are read past: they only matter between brokers.
package struct KafkaFetchRequest: Sendable, Hashable {
    package struct Partition: Sendable, Hashable {
        package var partition: Int32
        /// v9+; -1 below (and from clients that never learn epochs).
        package var currentLeaderEpoch: Int32
        package var fetchOffset: Int64
        /// v12+; -1 below.
        package var lastFetchedEpoch: Int32
        /// v5+; -1 below. Only followers set it.
        package var logStartOffset: Int64
        package var partitionMaxBytes: Int32
        package init(
            partition: Int32, currentLeaderEpoch: Int32 = -1, fetchOffset: Int64, lastFetchedEpoch: Int32 = -1,
            logStartOffset: Int64 = -1, partitionMaxBytes: Int32
        ) {
            self.partition = partition
            self.currentLeaderEpoch = currentLeaderEpoch
            self.fetchOffset = fetchOffset
            self.lastFetchedEpoch = lastFetchedEpoch
            self.logStartOffset = logStartOffset
            self.partitionMaxBytes = partitionMaxBytes
        }
    }

    /// A topic entry: by name up to v12, by id from v13 (the other is "" or zero as sent).
    package struct Topic<Entry: Sendable & Hashable>: Sendable, Hashable {
        package var name: String
        package var topicID: KafkaUUID
        package var partitions: [Entry]
        package init(name: String, topicID: KafkaUUID = .zero, partitions: [Entry]) {
            self.name = name
            self.topicID = topicID
            self.partitions = partitions
        }
    }

    package var replicaId: Int32
    package var maxWaitMs: Int32
    package var minBytes: Int32
    /// v3+; Int32.max below.
    package var maxBytes: Int32
    /// 0 = read_uncommitted, 1 = read_committed (v4+).
    package var isolationLevel: Int8
    /// v7+; 0 and -1 below.
    package var sessionId: Int32
    package var sessionEpoch: Int32
    package var topics: [Topic<Partition>]
    /// v7+: partitions to drop from an incremental session.
    package var forgottenTopics: [Topic<Int32>]
    /// v11+; "" below.
    package var rackId: String

    package init(
        replicaId: Int32 = -1, maxWaitMs: Int32, minBytes: Int32, maxBytes: Int32 = Int32.max,
        isolationLevel: Int8 = 0, sessionId: Int32 = 0, sessionEpoch: Int32 = -1, topics: [Topic<Partition>],
        forgottenTopics: [Topic<Int32>] = [], rackId: String = ""
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

    /// Whether this version names topics by id.
    package static func usesTopicIDs(_ version: Int16) -> Bool { version >= 13 }

    static func decode(version: Int16, from buffer: inout ByteBuffer) throws(KafkaDecodeError) -> Self {
        let flexible = version >= 12
        let byID = usesTopicIDs(version)
        let replicaId = version <= 14 ? try buffer.readKafkaInt32("replica_id") : -1
        var request = Self(
            replicaId: replicaId, maxWaitMs: try buffer.readKafkaInt32("max_wait_ms"),
            minBytes: try buffer.readKafkaInt32("min_bytes"), topics: [])
        if version >= 3 { request.maxBytes = try buffer.readKafkaInt32("max_bytes") }
        if version >= 4 { request.isolationLevel = try buffer.readKafkaInt8("isolation_level") }
        if version >= 7 {
            request.sessionId = try buffer.readKafkaInt32("session_id")
            request.sessionEpoch = try buffer.readKafkaInt32("session_epoch")
        }
        func topic<T>(_ buffer: inout ByteBuffer, _ partitions: (inout ByteBuffer) throws(KafkaDecodeError) -> [T])
            throws(KafkaDecodeError) -> Topic<T>
        {
            let name = byID ? "" : try buffer.readKafkaString("topic", flexible: flexible)
            let id = byID ? try buffer.readKafkaUUID("topic_id") : .zero
            let entries = try partitions(&buffer)
            try buffer.skipKafkaTaggedFields(flexible: flexible)
            return Topic(name: name, topicID: id, partitions: entries)
        }
        request.topics = try buffer.readKafkaArray(minElementSize: 6, "topics", flexible: flexible) {
            buffer throws(KafkaDecodeError) in
            try topic(&buffer) { buffer throws(KafkaDecodeError) in
                try buffer.readKafkaArray(minElementSize: 16, "partitions", flexible: flexible) {
                    buffer throws(KafkaDecodeError) in
                    var partition = Partition(
                        partition: try buffer.readKafkaInt32("partition"), fetchOffset: 0, partitionMaxBytes: 0)
                    if version >= 9 { partition.currentLeaderEpoch = try buffer.readKafkaInt32("current_leader_epoch") }
                    partition.fetchOffset = try buffer.readKafkaInt64("fetch_offset")
                    if version >= 12 { partition.lastFetchedEpoch = try buffer.readKafkaInt32("last_fetched_epoch") }
                    if version >= 5 { partition.logStartOffset = try buffer.readKafkaInt64("log_start_offset") }
                    partition.partitionMaxBytes = try buffer.readKafkaInt32("partition_max_bytes")
                    try buffer.skipKafkaTaggedFields(flexible: flexible)
                    return partition
                }
            }
        }
        if version >= 7 {
            request.forgottenTopics = try buffer.readKafkaArray(
                minElementSize: 6, "forgotten_topics_data", flexible: flexible
            ) { buffer throws(KafkaDecodeError) in
                try topic(&buffer) { buffer throws(KafkaDecodeError) in
                    try buffer.readKafkaInt32Array("partitions", flexible: flexible)
                }
            }
        }
        if version >= 11 { request.rackId = try buffer.readKafkaString("rack_id", flexible: flexible) }
        try buffer.skipKafkaTaggedFields(flexible: flexible)
        return request
    }

    func encode(version: Int16, into buffer: inout ByteBuffer) {
        let flexible = version >= 12
        let byID = Self.usesTopicIDs(version)
        if version <= 14 { buffer.writeKafkaInt32(replicaId) }
        buffer.writeKafkaInt32(maxWaitMs)
        buffer.writeKafkaInt32(minBytes)
        if version >= 3 { buffer.writeKafkaInt32(maxBytes) }
        if version >= 4 { buffer.writeKafkaInt8(isolationLevel) }
        if version >= 7 {
            buffer.writeKafkaInt32(sessionId)
            buffer.writeKafkaInt32(sessionEpoch)
        }
        func topic<T>(_ buffer: inout ByteBuffer, _ topic: Topic<T>, _ partitions: (inout ByteBuffer) -> Void) {
            if byID {
                buffer.writeKafkaUUID(topic.topicID)
            } else {
                buffer.writeKafkaString(topic.name, flexible: flexible)
            }
            partitions(&buffer)
            buffer.writeKafkaEmptyTaggedFields(flexible: flexible)
        }
        buffer.writeKafkaArray(topics, flexible: flexible) { buffer, entry in
            topic(&buffer, entry) { buffer in
                buffer.writeKafkaArray(entry.partitions, flexible: flexible) { buffer, partition in
                    buffer.writeKafkaInt32(partition.partition)
                    if version >= 9 { buffer.writeKafkaInt32(partition.currentLeaderEpoch) }
                    buffer.writeKafkaInt64(partition.fetchOffset)
                    if version >= 12 { buffer.writeKafkaInt32(partition.lastFetchedEpoch) }
                    if version >= 5 { buffer.writeKafkaInt64(partition.logStartOffset) }
                    buffer.writeKafkaInt32(partition.partitionMaxBytes)
                    buffer.writeKafkaEmptyTaggedFields(flexible: flexible)
                }
            }
        }
        if version >= 7 {
            buffer.writeKafkaArray(forgottenTopics, flexible: flexible) { buffer, entry in
                topic(&buffer, entry) { $0.writeKafkaInt32Array(entry.partitions, flexible: flexible) }
            }
        }
        if version >= 11 { buffer.writeKafkaString(rackId, flexible: flexible) }
        buffer.writeKafkaEmptyTaggedFields(flexible: flexible)
    }
}

/// Fetch response, v0–17. Records are never null: an empty partition carries empty bytes (KAFKA-COMPAT §4.5).
/// Topics are named by id from v13; the tagged fields (diverging epoch, current leader, snapshot id, node
/// endpoints) are never sent.
package struct KafkaFetchResponse: KafkaResponse, Hashable {
    package struct Partition: Sendable, Hashable {
        package var partitionIndex: Int32
        package var errorCode: KafkaErrorCode
        package var highWatermark: Int64
        /// v4+.
        package var lastStableOffset: Int64
        /// v5+.
        package var logStartOffset: Int64
        /// The partition's records in the format its version needs: RecordBatch v2 from v4 (e.g. from
        /// `KafkaRecordBatchWriter`), a magic 0/1 message set below (`KafkaMessageSetWriter`); possibly empty.
        /// aborted_transactions is always written as an empty array and preferred_read_replica (v11) as -1.
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

    package typealias Topic = KafkaFetchRequest.Topic<Partition>

    /// v1+.
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
        let flexible = version >= 12
        if version >= 1 { buffer.writeKafkaInt32(throttleTimeMs) }
        if version >= 7 {
            buffer.writeKafkaInt16(errorCode.rawValue)
            buffer.writeKafkaInt32(sessionId)
        }
        buffer.writeKafkaArray(topics, flexible: flexible) { buffer, topic in
            if KafkaFetchRequest.usesTopicIDs(version) {
                buffer.writeKafkaUUID(topic.topicID)
            } else {
                buffer.writeKafkaString(topic.name, flexible: flexible)
            }
            buffer.writeKafkaArray(topic.partitions, flexible: flexible) { buffer, partition in
                buffer.writeKafkaInt32(partition.partitionIndex)
                buffer.writeKafkaInt16(partition.errorCode.rawValue)
                buffer.writeKafkaInt64(partition.highWatermark)
                if version >= 4 { buffer.writeKafkaInt64(partition.lastStableOffset) }
                if version >= 5 { buffer.writeKafkaInt64(partition.logStartOffset) }
                if version >= 4 { buffer.writeKafkaArray([Int64](), flexible: flexible) { _, _ in } }  // aborted
                if version >= 11 { buffer.writeKafkaInt32(-1) }  // preferred_read_replica
                var records = partition.records
                if flexible {
                    buffer.writeKafkaUnsignedVarint(UInt32(records.readableBytes) + 1)
                } else {
                    buffer.writeKafkaInt32(Int32(records.readableBytes))
                }
                buffer.writeBuffer(&records)
                buffer.writeKafkaEmptyTaggedFields(flexible: flexible)
            }
            buffer.writeKafkaEmptyTaggedFields(flexible: flexible)
        }
        buffer.writeKafkaEmptyTaggedFields(flexible: flexible)
    }
}

extension Array {
    /// Adds `partition` to the last topic when it is `topic` (by name and id), else a new topic: a fetch response's
    /// per-topic list from partitions that arrive grouped by topic, in the request's order.
    package mutating func append<Partition>(_ partition: Partition, topic: String, topicID: KafkaUUID)
    where Element == KafkaFetchRequest.Topic<Partition> {
        if let last = indices.last, self[last].name == topic, self[last].topicID == topicID {
            self[last].partitions.append(partition)
        } else {
            append(KafkaFetchRequest.Topic(name: topic, topicID: topicID, partitions: [partition]))
        }
    }
}
