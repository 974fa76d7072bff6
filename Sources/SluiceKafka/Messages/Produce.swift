import NIOCore

/// Produce request (key 0), v0–7 (v0–2 lack the transactional id).
package struct KafkaProduceRequest: Sendable, Hashable {
    package struct Partition: Sendable, Hashable {
        package var index: Int32
        /// The partition's record set as a slice of the request frame, for `KafkaRecordBatchDecoder`; `nil` if
        /// the client sent null.
        package var records: ByteBuffer?
        package init(index: Int32, records: ByteBuffer?) {
            self.index = index
            self.records = records
        }
    }

    package typealias Topic = KafkaTopic<Partition>

    /// v3+.
    package var transactionalId: String?
    /// 0 = no response at all, 1 = leader, -1 = all.
    package var acks: Int16
    package var timeoutMs: Int32
    package var topics: [Topic]

    package init(transactionalId: String? = nil, acks: Int16, timeoutMs: Int32, topics: [Topic]) {
        self.transactionalId = transactionalId
        self.acks = acks
        self.timeoutMs = timeoutMs
        self.topics = topics
    }

    static func decode(version: Int16, from buffer: inout ByteBuffer) throws(KafkaDecodeError) -> Self {
        let transactionalId = version >= 3 ? try buffer.readKafkaNullableString("transactional_id") : nil
        let acks = try buffer.readKafkaInt16("acks")
        let timeoutMs = try buffer.readKafkaInt32("timeout_ms")
        let topics = try buffer.readKafkaArray(minElementSize: 6, "topics") { buffer throws(KafkaDecodeError) in
            let name = try buffer.readKafkaString("topic")
            let partitions = try buffer.readKafkaArray(minElementSize: 8, "partitions") {
                buffer throws(KafkaDecodeError) in
                Partition(
                    index: try buffer.readKafkaInt32("partition"), records: try buffer.readKafkaNullableBytes("records")
                )
            }
            return Topic(name: name, partitions: partitions)
        }
        return Self(transactionalId: transactionalId, acks: acks, timeoutMs: timeoutMs, topics: topics)
    }

    func encode(version: Int16, into buffer: inout ByteBuffer) {
        if version >= 3 { buffer.writeKafkaNullableString(transactionalId) }
        buffer.writeKafkaInt16(acks)
        buffer.writeKafkaInt32(timeoutMs)
        buffer.writeKafkaTopics(topics) { buffer, partition in
            buffer.writeKafkaInt32(partition.index)
            buffer.writeKafkaBytes(partition.records)
        }
    }
}

/// Produce response, v0–7. throttle_time_ms comes last (v1+). Send none at all for acks = 0.
package struct KafkaProduceResponse: KafkaResponse, Hashable {
    package struct Partition: Sendable, Hashable {
        package var index: Int32
        package var errorCode: KafkaErrorCode
        /// The offset given to the first record of the first batch, -1 on error.
        package var baseOffset: Int64
        /// v2+; -1 for CreateTime topics.
        package var logAppendTimeMs: Int64
        /// v5+.
        package var logStartOffset: Int64
        package init(
            index: Int32, errorCode: KafkaErrorCode = .none, baseOffset: Int64, logAppendTimeMs: Int64 = -1,
            logStartOffset: Int64
        ) {
            self.index = index
            self.errorCode = errorCode
            self.baseOffset = baseOffset
            self.logAppendTimeMs = logAppendTimeMs
            self.logStartOffset = logStartOffset
        }
    }

    package typealias Topic = KafkaTopic<Partition>

    package var topics: [Topic]
    package var throttleTimeMs: Int32

    package init(topics: [Topic], throttleTimeMs: Int32 = 0) {
        self.topics = topics
        self.throttleTimeMs = throttleTimeMs
    }

    package func encode(version: Int16, into buffer: inout ByteBuffer) {
        buffer.writeKafkaTopics(topics) { buffer, partition in
            buffer.writeKafkaInt32(partition.index)
            buffer.writeKafkaInt16(partition.errorCode.rawValue)
            buffer.writeKafkaInt64(partition.baseOffset)
            if version >= 2 { buffer.writeKafkaInt64(partition.logAppendTimeMs) }
            if version >= 5 { buffer.writeKafkaInt64(partition.logStartOffset) }
        }
        if version >= 1 { buffer.writeKafkaInt32(throttleTimeMs) }
    }
}
