import NIOCore

/// InitProducerId request (key 22), v0–5; flexible from v2. v3+ carry the producer's current id and epoch
/// (KIP-360); an idempotent producer gets a new id either way, as from Apache Kafka.
package struct KafkaInitProducerIdRequest: Sendable, Hashable {
    /// `nil` for an idempotent (non-transactional) producer.
    package var transactionalId: String?
    package var transactionTimeoutMs: Int32
    /// v3+; -1 for a new producer.
    package var producerId: Int64
    package var producerEpoch: Int16

    package init(
        transactionalId: String?, transactionTimeoutMs: Int32, producerId: Int64 = -1, producerEpoch: Int16 = -1
    ) {
        self.transactionalId = transactionalId
        self.transactionTimeoutMs = transactionTimeoutMs
        self.producerId = producerId
        self.producerEpoch = producerEpoch
    }

    static func decode(version: Int16, from buffer: inout ByteBuffer) throws(KafkaDecodeError) -> Self {
        let flexible = KafkaFlexibleVersions.isFlexible(.initProducerId, version)
        let transactionalId = try buffer.readKafkaNullableString("transactional_id", flexible: flexible)
        let timeout = try buffer.readKafkaInt32("transaction_timeout_ms")
        let producerId = version >= 3 ? try buffer.readKafkaInt64("producer_id") : -1
        let epoch = version >= 3 ? try buffer.readKafkaInt16("producer_epoch") : -1
        try buffer.skipKafkaTaggedFields(flexible: flexible)
        return Self(
            transactionalId: transactionalId, transactionTimeoutMs: timeout, producerId: producerId,
            producerEpoch: epoch)
    }

    func encode(version: Int16, into buffer: inout ByteBuffer) {
        let flexible = KafkaFlexibleVersions.isFlexible(.initProducerId, version)
        buffer.writeKafkaNullableString(transactionalId, flexible: flexible)
        buffer.writeKafkaInt32(transactionTimeoutMs)
        if version >= 3 {
            buffer.writeKafkaInt64(producerId)
            buffer.writeKafkaInt16(producerEpoch)
        }
        buffer.writeKafkaEmptyTaggedFields(flexible: flexible)
    }
}

/// InitProducerId response, v0–5.
package struct KafkaInitProducerIdResponse: KafkaResponse, Hashable {
    package var throttleTimeMs: Int32
    package var errorCode: KafkaErrorCode
    package var producerId: Int64
    package var producerEpoch: Int16

    package init(throttleTimeMs: Int32 = 0, errorCode: KafkaErrorCode = .none, producerId: Int64, producerEpoch: Int16)
    {
        self.throttleTimeMs = throttleTimeMs
        self.errorCode = errorCode
        self.producerId = producerId
        self.producerEpoch = producerEpoch
    }

    package func encode(version: Int16, into buffer: inout ByteBuffer) {
        buffer.writeKafkaInt32(throttleTimeMs)
        buffer.writeKafkaInt16(errorCode.rawValue)
        buffer.writeKafkaInt64(producerId)
        buffer.writeKafkaInt16(producerEpoch)
        buffer.writeKafkaEmptyTaggedFields(flexible: KafkaFlexibleVersions.isFlexible(.initProducerId, version))
    }
}
