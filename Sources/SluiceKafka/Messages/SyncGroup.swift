import NIOCore

/// SyncGroup request (key 14), v0–3. Only the leader sends assignments.
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
    package var assignments: [Assignment]

    package init(
        groupId: String, generationId: Int32, memberId: String, groupInstanceId: String? = nil,
        assignments: [Assignment]
    ) {
        self.groupId = groupId
        self.generationId = generationId
        self.memberId = memberId
        self.groupInstanceId = groupInstanceId
        self.assignments = assignments
    }

    static func decode(version: Int16, from buffer: inout ByteBuffer) throws(KafkaDecodeError) -> Self {
        let groupId = try buffer.readKafkaString("group_id")
        let generation = try buffer.readKafkaInt32("generation_id")
        let memberId = try buffer.readKafkaString("member_id")
        let instance = version >= 3 ? try buffer.readKafkaNullableString("group_instance_id") : nil
        let assignments = try buffer.readKafkaArray(minElementSize: 6, "assignments") {
            buffer throws(KafkaDecodeError) in
            Assignment(
                memberId: try buffer.readKafkaString("member_id"),
                assignment: try buffer.readKafkaByteArray("assignment"))
        }
        return Self(
            groupId: groupId, generationId: generation, memberId: memberId, groupInstanceId: instance,
            assignments: assignments)
    }

    func encode(version: Int16, into buffer: inout ByteBuffer) {
        buffer.writeKafkaString(groupId)
        buffer.writeKafkaInt32(generationId)
        buffer.writeKafkaString(memberId)
        if version >= 3 { buffer.writeKafkaNullableString(groupInstanceId) }
        buffer.writeKafkaArray(assignments) { buffer, assignment in
            buffer.writeKafkaString(assignment.memberId)
            buffer.writeKafkaBytes(assignment.assignment)
        }
    }
}

/// SyncGroup response, v0–3. Never answer success with empty bytes: use
/// `KafkaConsumerProtocol.emptyAssignment` for a member the leader left out.
package struct KafkaSyncGroupResponse: KafkaResponse, Hashable {
    /// v1+.
    package var throttleTimeMs: Int32
    package var errorCode: KafkaErrorCode
    package var assignment: [UInt8]

    package init(throttleTimeMs: Int32 = 0, errorCode: KafkaErrorCode = .none, assignment: [UInt8]) {
        self.throttleTimeMs = throttleTimeMs
        self.errorCode = errorCode
        self.assignment = assignment
    }

    package func encode(version: Int16, into buffer: inout ByteBuffer) {
        if version >= 1 { buffer.writeKafkaInt32(throttleTimeMs) }
        buffer.writeKafkaInt16(errorCode.rawValue)
        buffer.writeKafkaBytes(assignment)
    }
}
