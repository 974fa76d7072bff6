import NIOCore

/// InitProducerId request (key 22), v0–1.
package struct KafkaInitProducerIdRequest: Sendable, Hashable {
    /// `nil` for an idempotent (non-transactional) producer.
    package var transactionalId: String?
    package var transactionTimeoutMs: Int32

    package init(transactionalId: String?, transactionTimeoutMs: Int32) {
        self.transactionalId = transactionalId
        self.transactionTimeoutMs = transactionTimeoutMs
    }

    static func decode(version: Int16, from buffer: inout ByteBuffer) throws(KafkaDecodeError) -> Self {
        Self(
            transactionalId: try buffer.readKafkaNullableString("transactional_id"),
            transactionTimeoutMs: try buffer.readKafkaInt32("transaction_timeout_ms"))
    }

    func encode(version: Int16, into buffer: inout ByteBuffer) {
        buffer.writeKafkaNullableString(transactionalId)
        buffer.writeKafkaInt32(transactionTimeoutMs)
    }
}

/// InitProducerId response, v0–1.
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
    }
}
