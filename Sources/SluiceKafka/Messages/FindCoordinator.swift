import NIOCore

/// FindCoordinator request (key 10), v0–6; flexible from v3. Up to v3 it names one key, from v4 several
/// (KIP-699), each answered on its own; below v4 `keys` holds exactly one.
package struct KafkaFindCoordinatorRequest: Sendable, Hashable {
    /// Group ids (key type 0), transactional ids (1) or share group ids (2, v6+).
    package var keys: [String]
    /// v1+; 0 = group.
    package var keyType: Int8

    package init(keys: [String], keyType: Int8 = 0) {
        self.keys = keys
        self.keyType = keyType
    }

    /// The one-key form of v0–3.
    package init(key: String, keyType: Int8 = 0) {
        self.init(keys: [key], keyType: keyType)
    }

    static func decode(version: Int16, from buffer: inout ByteBuffer) throws(KafkaDecodeError) -> Self {
        let flexible = KafkaFlexibleVersions.isFlexible(.findCoordinator, version)
        let key = version <= 3 ? try buffer.readKafkaString("key", flexible: flexible) : nil
        let keyType = version >= 1 ? try buffer.readKafkaInt8("key_type") : 0
        let keys = version >= 4 ? try buffer.readKafkaStringArray("coordinator_keys", flexible: flexible) : [key ?? ""]
        try buffer.skipKafkaTaggedFields(flexible: flexible)
        return Self(keys: keys, keyType: keyType)
    }

    func encode(version: Int16, into buffer: inout ByteBuffer) {
        let flexible = KafkaFlexibleVersions.isFlexible(.findCoordinator, version)
        if version <= 3 { buffer.writeKafkaString(keys.first ?? "", flexible: flexible) }
        if version >= 1 { buffer.writeKafkaInt8(keyType) }
        if version >= 4 { buffer.writeKafkaStringArray(keys, flexible: flexible) }
        buffer.writeKafkaEmptyTaggedFields(flexible: flexible)
    }
}

/// FindCoordinator response, v0–6: one coordinator up to v3 (the first of `coordinators`, its key not sent), one
/// per key from v4.
package struct KafkaFindCoordinatorResponse: KafkaResponse, Hashable {
    package struct Coordinator: Sendable, Hashable {
        package var key: String
        package var nodeId: Int32
        package var host: String
        package var port: Int32
        package var errorCode: KafkaErrorCode
        /// v1+.
        package var errorMessage: String?
        package init(
            key: String, nodeId: Int32, host: String, port: Int32, errorCode: KafkaErrorCode = .none,
            errorMessage: String? = nil
        ) {
            self.key = key
            self.nodeId = nodeId
            self.host = host
            self.port = port
            self.errorCode = errorCode
            self.errorMessage = errorMessage
        }
    }

    /// v1+.
    package var throttleTimeMs: Int32
    package var coordinators: [Coordinator]

    package init(throttleTimeMs: Int32 = 0, coordinators: [Coordinator]) {
        self.throttleTimeMs = throttleTimeMs
        self.coordinators = coordinators
    }

    /// The one-coordinator answer of v0–3.
    package init(
        throttleTimeMs: Int32 = 0, errorCode: KafkaErrorCode = .none, errorMessage: String? = nil, nodeId: Int32,
        host: String, port: Int32
    ) {
        self.init(
            throttleTimeMs: throttleTimeMs,
            coordinators: [
                Coordinator(
                    key: "", nodeId: nodeId, host: host, port: port, errorCode: errorCode, errorMessage: errorMessage)
            ])
    }

    package func encode(version: Int16, into buffer: inout ByteBuffer) {
        let flexible = KafkaFlexibleVersions.isFlexible(.findCoordinator, version)
        if version >= 1 { buffer.writeKafkaInt32(throttleTimeMs) }
        if version >= 4 {
            buffer.writeKafkaArray(coordinators, flexible: flexible) { buffer, coordinator in
                buffer.writeKafkaString(coordinator.key, flexible: flexible)
                buffer.writeKafkaInt32(coordinator.nodeId)
                buffer.writeKafkaString(coordinator.host, flexible: flexible)
                buffer.writeKafkaInt32(coordinator.port)
                buffer.writeKafkaInt16(coordinator.errorCode.rawValue)
                buffer.writeKafkaNullableString(coordinator.errorMessage, flexible: flexible)
                buffer.writeKafkaEmptyTaggedFields(flexible: flexible)
            }
        } else {
            let coordinator = coordinators.first ?? Coordinator(key: "", nodeId: -1, host: "", port: -1)
            buffer.writeKafkaInt16(coordinator.errorCode.rawValue)
            if version >= 1 { buffer.writeKafkaNullableString(coordinator.errorMessage, flexible: flexible) }
            buffer.writeKafkaInt32(coordinator.nodeId)
            buffer.writeKafkaString(coordinator.host, flexible: flexible)
            buffer.writeKafkaInt32(coordinator.port)
        }
        buffer.writeKafkaEmptyTaggedFields(flexible: flexible)
    }
}
