import NIOCore

/// SyncGroup request (key 14), v0–3. Only the leader sends assignments.
public struct KafkaSyncGroupRequest: Sendable, Hashable {
    public struct Assignment: Sendable, Hashable {
        public var memberId: String
        /// Opaque (a ConsumerProtocolAssignment for "consumer" groups).
        public var assignment: [UInt8]
        public init(memberId: String, assignment: [UInt8]) {
            self.memberId = memberId
            self.assignment = assignment
        }
    }

    public var groupId: String
    public var generationId: Int32
    public var memberId: String
    /// v3+.
    public var groupInstanceId: String?
    public var assignments: [Assignment]

    public init(
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
            Assignment(memberId: try buffer.readKafkaString("member_id"), assignment: try buffer.readKafkaByteArray("assignment"))
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
public struct KafkaSyncGroupResponse: KafkaResponse, Hashable {
    /// v1+.
    public var throttleTimeMs: Int32
    public var errorCode: KafkaErrorCode
    public var assignment: [UInt8]

    public init(throttleTimeMs: Int32 = 0, errorCode: KafkaErrorCode = .none, assignment: [UInt8]) {
        self.throttleTimeMs = throttleTimeMs
        self.errorCode = errorCode
        self.assignment = assignment
    }

    public func encode(version: Int16, into buffer: inout ByteBuffer) {
        if version >= 1 { buffer.writeKafkaInt32(throttleTimeMs) }
        buffer.writeKafkaInt16(errorCode.rawValue)
        buffer.writeKafkaBytes(assignment)
    }
}
