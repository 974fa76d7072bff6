import NIOCore

/// SyncGroup request (key 14), v0–5; flexible from v4. Only the leader sends assignments.
package struct KafkaSyncGroupRequest: Sendable, Hashable {
    package struct Assignment: Sendable, Hashable {
        package var memberId: String
        /// Opaque (a ConsumerProtocolAssignment for "consumer" groups).
        package var assignment: [UInt8]
        package init(memberId: String, assignment: [UInt8]) {
            self.memberId = memberId
            self.assignment = assignment
        }
    }

    package var groupId: String
    package var generationId: Int32
    package var memberId: String
    /// v3+.
    package var groupInstanceId: String?
    /// v5+: what the member believes the group's protocol type and chosen protocol are (checked against the
    /// group's when given).
    package var protocolType: String?
    package var protocolName: String?
    package var assignments: [Assignment]

    package init(
        groupId: String, generationId: Int32, memberId: String, groupInstanceId: String? = nil,
        protocolType: String? = nil, protocolName: String? = nil, assignments: [Assignment]
    ) {
        self.groupId = groupId
        self.generationId = generationId
        self.memberId = memberId
        self.groupInstanceId = groupInstanceId
        self.protocolType = protocolType
        self.protocolName = protocolName
        self.assignments = assignments
    }

    static func decode(version: Int16, from buffer: inout ByteBuffer) throws(KafkaDecodeError) -> Self {
        let flexible = KafkaFlexibleVersions.isFlexible(.syncGroup, version)
        let groupId = try buffer.readKafkaString("group_id", flexible: flexible)
        let generation = try buffer.readKafkaInt32("generation_id")
        let memberId = try buffer.readKafkaString("member_id", flexible: flexible)
        let instance = version >= 3 ? try buffer.readKafkaNullableString("group_instance_id", flexible: flexible) : nil
        let protocolType = version >= 5 ? try buffer.readKafkaNullableString("protocol_type", flexible: flexible) : nil
        let protocolName = version >= 5 ? try buffer.readKafkaNullableString("protocol_name", flexible: flexible) : nil
        let assignments = try buffer.readKafkaArray(
            minElementSize: flexible ? 3 : 6, "assignments", flexible: flexible
        ) { buffer throws(KafkaDecodeError) in
            let assignment = Assignment(
                memberId: try buffer.readKafkaString("member_id", flexible: flexible),
                assignment: try buffer.readKafkaByteArray("assignment", flexible: flexible))
            try buffer.skipKafkaTaggedFields(flexible: flexible)
            return assignment
        }
        try buffer.skipKafkaTaggedFields(flexible: flexible)
        return Self(
            groupId: groupId, generationId: generation, memberId: memberId, groupInstanceId: instance,
            protocolType: protocolType, protocolName: protocolName, assignments: assignments)
    }

    func encode(version: Int16, into buffer: inout ByteBuffer) {
        let flexible = KafkaFlexibleVersions.isFlexible(.syncGroup, version)
        buffer.writeKafkaString(groupId, flexible: flexible)
        buffer.writeKafkaInt32(generationId)
        buffer.writeKafkaString(memberId, flexible: flexible)
        if version >= 3 { buffer.writeKafkaNullableString(groupInstanceId, flexible: flexible) }
        if version >= 5 {
            buffer.writeKafkaNullableString(protocolType, flexible: flexible)
            buffer.writeKafkaNullableString(protocolName, flexible: flexible)
        }
        buffer.writeKafkaArray(assignments, flexible: flexible) { buffer, assignment in
            buffer.writeKafkaString(assignment.memberId, flexible: flexible)
            buffer.writeKafkaBytes(assignment.assignment, flexible: flexible)
            buffer.writeKafkaEmptyTaggedFields(flexible: flexible)
        }
        buffer.writeKafkaEmptyTaggedFields(flexible: flexible)
    }
}

/// SyncGroup response, v0–5. Never answer success with empty bytes: use
/// `KafkaConsumerProtocol.emptyAssignment` for a member the leader left out.
package struct KafkaSyncGroupResponse: KafkaResponse, Hashable {
    /// v1+.
    package var throttleTimeMs: Int32
    package var errorCode: KafkaErrorCode
    /// v5+: the group's protocol type and chosen protocol (nil on error).
    package var protocolType: String?
    package var protocolName: String?
    package var assignment: [UInt8]

    package init(
        throttleTimeMs: Int32 = 0, errorCode: KafkaErrorCode = .none, protocolType: String? = nil,
        protocolName: String? = nil, assignment: [UInt8]
    ) {
        self.throttleTimeMs = throttleTimeMs
        self.errorCode = errorCode
        self.protocolType = protocolType
        self.protocolName = protocolName
        self.assignment = assignment
    }

    package func encode(version: Int16, into buffer: inout ByteBuffer) {
        let flexible = KafkaFlexibleVersions.isFlexible(.syncGroup, version)
        if version >= 1 { buffer.writeKafkaInt32(throttleTimeMs) }
        buffer.writeKafkaInt16(errorCode.rawValue)
        if version >= 5 {
            buffer.writeKafkaNullableString(protocolType, flexible: flexible)
            buffer.writeKafkaNullableString(protocolName, flexible: flexible)
        }
        buffer.writeKafkaBytes(assignment, flexible: flexible)
        buffer.writeKafkaEmptyTaggedFields(flexible: flexible)
    }
}
