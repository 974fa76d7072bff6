import NIOCore

/// FindCoordinator request (key 10), v0–2.
package struct KafkaFindCoordinatorRequest: Sendable, Hashable {
    /// The group id (key type 0) or transactional id (1).
    package var key: String
    /// v1+; 0 = group.
    package var keyType: Int8

    package init(key: String, keyType: Int8 = 0) {
        self.key = key
        self.keyType = keyType
    }

    static func decode(version: Int16, from buffer: inout ByteBuffer) throws(KafkaDecodeError) -> Self {
        let key = try buffer.readKafkaString("key")
        return Self(key: key, keyType: version >= 1 ? try buffer.readKafkaInt8("key_type") : 0)
    }

    func encode(version: Int16, into buffer: inout ByteBuffer) {
        buffer.writeKafkaString(key)
        if version >= 1 { buffer.writeKafkaInt8(keyType) }
    }
}

/// FindCoordinator response, v0–2.
package struct KafkaFindCoordinatorResponse: KafkaResponse, Hashable {
    /// v1+.
    package var throttleTimeMs: Int32
    package var errorCode: KafkaErrorCode
    /// v1+.
    package var errorMessage: String?
    package var nodeId: Int32
    package var host: String
    package var port: Int32

    package init(
        throttleTimeMs: Int32 = 0, errorCode: KafkaErrorCode = .none, errorMessage: String? = nil, nodeId: Int32,
        host: String, port: Int32
    ) {
        self.throttleTimeMs = throttleTimeMs
        self.errorCode = errorCode
        self.errorMessage = errorMessage
        self.nodeId = nodeId
        self.host = host
        self.port = port
    }

    package func encode(version: Int16, into buffer: inout ByteBuffer) {
        if version >= 1 { buffer.writeKafkaInt32(throttleTimeMs) }
        buffer.writeKafkaInt16(errorCode.rawValue)
        if version >= 1 { buffer.writeKafkaNullableString(errorMessage) }
        buffer.writeKafkaInt32(nodeId)
        buffer.writeKafkaString(host)
        buffer.writeKafkaInt32(port)
    }
}
