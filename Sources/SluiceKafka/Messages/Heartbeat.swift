import NIOCore

/// Heartbeat request (key 12), v0–4; flexible from v4.
package struct KafkaHeartbeatRequest: Sendable, Hashable {
    package var groupId: String
    package var generationId: Int32
    package var memberId: String
    /// v3+.
    package var groupInstanceId: String?

    package init(groupId: String, generationId: Int32, memberId: String, groupInstanceId: String? = nil) {
        self.groupId = groupId
        self.generationId = generationId
        self.memberId = memberId
        self.groupInstanceId = groupInstanceId
    }

    static func decode(version: Int16, from buffer: inout ByteBuffer) throws(KafkaDecodeError) -> Self {
        let flexible = KafkaFlexibleVersions.isFlexible(.heartbeat, version)
        let request = Self(
            groupId: try buffer.readKafkaString("group_id", flexible: flexible),
            generationId: try buffer.readKafkaInt32("generation_id"),
            memberId: try buffer.readKafkaString("member_id", flexible: flexible),
            groupInstanceId: version >= 3
                ? try buffer.readKafkaNullableString("group_instance_id", flexible: flexible) : nil)
        try buffer.skipKafkaTaggedFields(flexible: flexible)
        return request
    }

    func encode(version: Int16, into buffer: inout ByteBuffer) {
        let flexible = KafkaFlexibleVersions.isFlexible(.heartbeat, version)
        buffer.writeKafkaString(groupId, flexible: flexible)
        buffer.writeKafkaInt32(generationId)
        buffer.writeKafkaString(memberId, flexible: flexible)
        if version >= 3 { buffer.writeKafkaNullableString(groupInstanceId, flexible: flexible) }
        buffer.writeKafkaEmptyTaggedFields(flexible: flexible)
    }
}

/// The response of Heartbeat (v0–4): throttle time (v1+) and an error code.
package struct KafkaErrorOnlyResponse: KafkaResponse, Hashable {
    /// v1+.
    package var throttleTimeMs: Int32
    package var errorCode: KafkaErrorCode

    package init(throttleTimeMs: Int32 = 0, errorCode: KafkaErrorCode) {
        self.throttleTimeMs = throttleTimeMs
        self.errorCode = errorCode
    }

    package func encode(version: Int16, into buffer: inout ByteBuffer) {
        if version >= 1 { buffer.writeKafkaInt32(throttleTimeMs) }
        buffer.writeKafkaInt16(errorCode.rawValue)
        buffer.writeKafkaEmptyTaggedFields(flexible: KafkaFlexibleVersions.isFlexible(.heartbeat, version))
    }
}

package typealias KafkaHeartbeatResponse = KafkaErrorOnlyResponse
