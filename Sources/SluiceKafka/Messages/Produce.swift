import NIOCore

/// Produce request (key 0), v0–11 (Apache Kafka 3.9): v0–2 lack the transactional id and carry magic 0/1 message
/// sets; flexible from v9.
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
        let flexible = version >= 9
        let transactionalId =
            version >= 3 ? try buffer.readKafkaNullableString("transactional_id", flexible: flexible) : nil
        let acks = try buffer.readKafkaInt16("acks")
        let timeoutMs = try buffer.readKafkaInt32("timeout_ms")
        let topics = try buffer.readKafkaArray(minElementSize: 6, "topics", flexible: flexible) {
            buffer throws(KafkaDecodeError) in
            let name = try buffer.readKafkaString("topic", flexible: flexible)
            let partitions = try buffer.readKafkaArray(minElementSize: 5, "partitions", flexible: flexible) {
                buffer throws(KafkaDecodeError) in
                let index = try buffer.readKafkaInt32("partition")
                let records = try buffer.readKafkaRecords(flexible: flexible)
                try buffer.skipKafkaTaggedFields(flexible: flexible)
                return Partition(index: index, records: records)
            }
            try buffer.skipKafkaTaggedFields(flexible: flexible)
            return Topic(name: name, partitions: partitions)
        }
        try buffer.skipKafkaTaggedFields(flexible: flexible)
        return Self(transactionalId: transactionalId, acks: acks, timeoutMs: timeoutMs, topics: topics)
    }

    func encode(version: Int16, into buffer: inout ByteBuffer) {
        let flexible = version >= 9
        if version >= 3 { buffer.writeKafkaNullableString(transactionalId, flexible: flexible) }
        buffer.writeKafkaInt16(acks)
        buffer.writeKafkaInt32(timeoutMs)
        buffer.writeKafkaTopics(topics, flexible: flexible) { buffer, partition in
            buffer.writeKafkaInt32(partition.index)
            buffer.writeKafkaRecords(partition.records, flexible: flexible)
        }
        buffer.writeKafkaEmptyTaggedFields(flexible: flexible)
    }
}

/// Produce response, v0–11. throttle_time_ms comes last (v1+); record_errors and error_message (v8+) are empty
/// and null; flexible from v9, with no tagged field sent. Send none at all for acks = 0.
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
        let flexible = version >= 9
        buffer.writeKafkaTopics(topics, flexible: flexible) { buffer, partition in
            buffer.writeKafkaInt32(partition.index)
            buffer.writeKafkaInt16(partition.errorCode.rawValue)
            buffer.writeKafkaInt64(partition.baseOffset)
            if version >= 2 { buffer.writeKafkaInt64(partition.logAppendTimeMs) }
            if version >= 5 { buffer.writeKafkaInt64(partition.logStartOffset) }
            if version >= 8 {
                buffer.writeKafkaArray([Int32](), flexible: flexible) { _, _ in }  // record_errors
                buffer.writeKafkaNullableString(nil, flexible: flexible)  // error_message
            }
        }
        if version >= 1 { buffer.writeKafkaInt32(throttleTimeMs) }
        buffer.writeKafkaEmptyTaggedFields(flexible: flexible)
    }
}

extension ByteBuffer {
    /// A records field as a slice of this buffer (no copy), `nil` for null: int32 length, or compact (N+1) when
    /// flexible.
    mutating func readKafkaRecords(flexible: Bool) throws(KafkaDecodeError) -> ByteBuffer? {
        guard flexible else { return try readKafkaNullableBytes("records") }
        let lengthPlusOne = try readKafkaUnsignedVarint("records")
        if lengthPlusOne == 0 { return nil }
        let length = Int(lengthPlusOne - 1)
        guard length <= readableBytes, let slice = readSlice(length: length) else { throw .truncated("records") }
        return slice
    }

    mutating func writeKafkaRecords(_ records: ByteBuffer?, flexible: Bool) {
        guard flexible else { return writeKafkaBytes(records) }
        guard var records else { return writeKafkaUnsignedVarint(0) }
        writeKafkaUnsignedVarint(UInt32(records.readableBytes) + 1)
        writeBuffer(&records)
    }
}
