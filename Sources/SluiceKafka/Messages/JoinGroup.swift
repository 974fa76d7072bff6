import NIOCore

/// JoinGroup request (key 11), v0–5.
package struct KafkaJoinGroupRequest: Sendable, Hashable {
    package struct GroupProtocol: Sendable, Hashable {
        /// An assignor name, e.g. "range".
        package var name: String
        /// Opaque to the broker (a ConsumerProtocolSubscription for "consumer" groups).
        package var metadata: [UInt8]
        package init(name: String, metadata: [UInt8]) {
            self.name = name
            self.metadata = metadata
        }
    }

    package var groupId: String
    package var sessionTimeoutMs: Int32
    /// v1+; equals the session timeout below.
    package var rebalanceTimeoutMs: Int32
    /// "" on a first join.
    package var memberId: String
    /// v5+.
    package var groupInstanceId: String?
    package var protocolType: String
    package var protocols: [GroupProtocol]

    package init(
        groupId: String, sessionTimeoutMs: Int32, rebalanceTimeoutMs: Int32, memberId: String,
        groupInstanceId: String? = nil, protocolType: String, protocols: [GroupProtocol]
    ) {
        self.groupId = groupId
        self.sessionTimeoutMs = sessionTimeoutMs
        self.rebalanceTimeoutMs = rebalanceTimeoutMs
        self.memberId = memberId
        self.groupInstanceId = groupInstanceId
        self.protocolType = protocolType
        self.protocols = protocols
    }

    static func decode(version: Int16, from buffer: inout ByteBuffer) throws(KafkaDecodeError) -> Self {
        let groupId = try buffer.readKafkaString("group_id")
        let session = try buffer.readKafkaInt32("session_timeout_ms")
        let rebalance = version >= 1 ? try buffer.readKafkaInt32("rebalance_timeout_ms") : session
        let memberId = try buffer.readKafkaString("member_id")
        let instance = version >= 5 ? try buffer.readKafkaNullableString("group_instance_id") : nil
        let protocolType = try buffer.readKafkaString("protocol_type")
        let protocols = try buffer.readKafkaArray(minElementSize: 6, "protocols") { buffer throws(KafkaDecodeError) in
            GroupProtocol(name: try buffer.readKafkaString("name"), metadata: try buffer.readKafkaByteArray("metadata"))
        }
        return Self(
            groupId: groupId, sessionTimeoutMs: session, rebalanceTimeoutMs: rebalance, memberId: memberId,
            groupInstanceId: instance, protocolType: protocolType, protocols: protocols)
    }

    func encode(version: Int16, into buffer: inout ByteBuffer) {
        buffer.writeKafkaString(groupId)
        buffer.writeKafkaInt32(sessionTimeoutMs)
        if version >= 1 { buffer.writeKafkaInt32(rebalanceTimeoutMs) }
        buffer.writeKafkaString(memberId)
        if version >= 5 { buffer.writeKafkaNullableString(groupInstanceId) }
        buffer.writeKafkaString(protocolType)
        buffer.writeKafkaArray(protocols) { buffer, groupProtocol in
            buffer.writeKafkaString(groupProtocol.name)
            buffer.writeKafkaBytes(groupProtocol.metadata)
        }
    }
}

/// JoinGroup response, v0–5. The leader gets every member with its metadata; followers an empty list.
package struct KafkaJoinGroupResponse: KafkaResponse, Hashable {
    package struct Member: Sendable, Hashable {
        package var memberId: String
        /// v5+.
        package var groupInstanceId: String?
        package var metadata: [UInt8]
        package init(memberId: String, groupInstanceId: String? = nil, metadata: [UInt8]) {
            self.memberId = memberId
            self.groupInstanceId = groupInstanceId
            self.metadata = metadata
        }
    }

    /// v2+.
    package var throttleTimeMs: Int32
    package var errorCode: KafkaErrorCode
    package var generationId: Int32
    /// The chosen assignor; "" on error.
    package var protocolName: String
    package var leader: String
    package var memberId: String
    package var members: [Member]

    package init(
        throttleTimeMs: Int32 = 0, errorCode: KafkaErrorCode = .none, generationId: Int32, protocolName: String,
        leader: String, memberId: String, members: [Member] = []
    ) {
        self.throttleTimeMs = throttleTimeMs
        self.errorCode = errorCode
        self.generationId = generationId
        self.protocolName = protocolName
        self.leader = leader
        self.memberId = memberId
        self.members = members
    }

    package func encode(version: Int16, into buffer: inout ByteBuffer) {
        if version >= 2 { buffer.writeKafkaInt32(throttleTimeMs) }
        buffer.writeKafkaInt16(errorCode.rawValue)
        buffer.writeKafkaInt32(generationId)
        buffer.writeKafkaString(protocolName)
        buffer.writeKafkaString(leader)
        buffer.writeKafkaString(memberId)
        buffer.writeKafkaArray(members) { buffer, member in
            buffer.writeKafkaString(member.memberId)
            if version >= 5 { buffer.writeKafkaNullableString(member.groupInstanceId) }
            buffer.writeKafkaBytes(member.metadata)
        }
    }
}
