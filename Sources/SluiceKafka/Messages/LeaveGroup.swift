import NIOCore

/// LeaveGroup request (key 13), v0–5; flexible from v4. Up to v2 one member leaves, from v3 several (KIP-345);
/// below v3 `members` holds exactly one.
package struct KafkaLeaveGroupRequest: Sendable, Hashable {
    package struct Member: Sendable, Hashable {
        package var memberId: String
        /// v3+.
        package var groupInstanceId: String?
        /// v5+: why the member leaves, for the broker's log.
        package var reason: String?
        package init(memberId: String, groupInstanceId: String? = nil, reason: String? = nil) {
            self.memberId = memberId
            self.groupInstanceId = groupInstanceId
            self.reason = reason
        }
    }

    package var groupId: String
    package var members: [Member]

    package init(groupId: String, members: [Member]) {
        self.groupId = groupId
        self.members = members
    }

    /// The one-member form of v0–2.
    package init(groupId: String, memberId: String) {
        self.init(groupId: groupId, members: [Member(memberId: memberId)])
    }

    static func decode(version: Int16, from buffer: inout ByteBuffer) throws(KafkaDecodeError) -> Self {
        let flexible = KafkaFlexibleVersions.isFlexible(.leaveGroup, version)
        let groupId = try buffer.readKafkaString("group_id", flexible: flexible)
        let members: [Member]
        if version >= 3 {
            members = try buffer.readKafkaArray(minElementSize: flexible ? 3 : 4, "members", flexible: flexible) {
                buffer throws(KafkaDecodeError) in
                let memberId = try buffer.readKafkaString("member_id", flexible: flexible)
                let instance = try buffer.readKafkaNullableString("group_instance_id", flexible: flexible)
                let reason = version >= 5 ? try buffer.readKafkaNullableString("reason", flexible: flexible) : nil
                try buffer.skipKafkaTaggedFields(flexible: flexible)
                return Member(memberId: memberId, groupInstanceId: instance, reason: reason)
            }
        } else {
            members = [Member(memberId: try buffer.readKafkaString("member_id", flexible: flexible))]
        }
        try buffer.skipKafkaTaggedFields(flexible: flexible)
        return Self(groupId: groupId, members: members)
    }

    func encode(version: Int16, into buffer: inout ByteBuffer) {
        let flexible = KafkaFlexibleVersions.isFlexible(.leaveGroup, version)
        buffer.writeKafkaString(groupId, flexible: flexible)
        if version >= 3 {
            buffer.writeKafkaArray(members, flexible: flexible) { buffer, member in
                buffer.writeKafkaString(member.memberId, flexible: flexible)
                buffer.writeKafkaNullableString(member.groupInstanceId, flexible: flexible)
                if version >= 5 { buffer.writeKafkaNullableString(member.reason, flexible: flexible) }
                buffer.writeKafkaEmptyTaggedFields(flexible: flexible)
            }
        } else {
            buffer.writeKafkaString(members.first?.memberId ?? "", flexible: flexible)
        }
        buffer.writeKafkaEmptyTaggedFields(flexible: flexible)
    }
}

/// LeaveGroup response, v0–5: throttle time (v1+), an error code, and from v3 one error per member.
package struct KafkaLeaveGroupResponse: KafkaResponse, Hashable {
    package struct Member: Sendable, Hashable {
        package var memberId: String
        package var groupInstanceId: String?
        package var errorCode: KafkaErrorCode
        package init(memberId: String, groupInstanceId: String? = nil, errorCode: KafkaErrorCode = .none) {
            self.memberId = memberId
            self.groupInstanceId = groupInstanceId
            self.errorCode = errorCode
        }
    }

    /// v1+.
    package var throttleTimeMs: Int32
    package var errorCode: KafkaErrorCode
    /// v3+.
    package var members: [Member]

    package init(throttleTimeMs: Int32 = 0, errorCode: KafkaErrorCode, members: [Member] = []) {
        self.throttleTimeMs = throttleTimeMs
        self.errorCode = errorCode
        self.members = members
    }

    package func encode(version: Int16, into buffer: inout ByteBuffer) {
        let flexible = KafkaFlexibleVersions.isFlexible(.leaveGroup, version)
        if version >= 1 { buffer.writeKafkaInt32(throttleTimeMs) }
        buffer.writeKafkaInt16(errorCode.rawValue)
        if version >= 3 {
            buffer.writeKafkaArray(members, flexible: flexible) { buffer, member in
                buffer.writeKafkaString(member.memberId, flexible: flexible)
                buffer.writeKafkaNullableString(member.groupInstanceId, flexible: flexible)
                buffer.writeKafkaInt16(member.errorCode.rawValue)
                buffer.writeKafkaEmptyTaggedFields(flexible: flexible)
            }
        }
        buffer.writeKafkaEmptyTaggedFields(flexible: flexible)
    }
}
