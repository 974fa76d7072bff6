import NIOCore

/// JoinGroup request (key 11), v0–9; flexible from v6.
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
    /// v8+: why the member (re)joins, for the broker's log.
    package var reason: String?

    package init(
        groupId: String, sessionTimeoutMs: Int32, rebalanceTimeoutMs: Int32, memberId: String,
        groupInstanceId: String? = nil, protocolType: String, protocols: [GroupProtocol], reason: String? = nil
    ) {
        self.groupId = groupId
        self.sessionTimeoutMs = sessionTimeoutMs
        self.rebalanceTimeoutMs = rebalanceTimeoutMs
        self.memberId = memberId
        self.groupInstanceId = groupInstanceId
        self.protocolType = protocolType
        self.protocols = protocols
        self.reason = reason
    }

    static func decode(version: Int16, from buffer: inout ByteBuffer) throws(KafkaDecodeError) -> Self {
        let flexible = KafkaFlexibleVersions.isFlexible(.joinGroup, version)
        let groupId = try buffer.readKafkaString("group_id", flexible: flexible)
        let session = try buffer.readKafkaInt32("session_timeout_ms")
        let rebalance = version >= 1 ? try buffer.readKafkaInt32("rebalance_timeout_ms") : session
        let memberId = try buffer.readKafkaString("member_id", flexible: flexible)
        let instance = version >= 5 ? try buffer.readKafkaNullableString("group_instance_id", flexible: flexible) : nil
        let protocolType = try buffer.readKafkaString("protocol_type", flexible: flexible)
        let protocols = try buffer.readKafkaArray(minElementSize: flexible ? 3 : 6, "protocols", flexible: flexible) {
            buffer throws(KafkaDecodeError) in
            let offered = GroupProtocol(
                name: try buffer.readKafkaString("name", flexible: flexible),
                metadata: try buffer.readKafkaByteArray("metadata", flexible: flexible))
            try buffer.skipKafkaTaggedFields(flexible: flexible)
            return offered
        }
        let reason = version >= 8 ? try buffer.readKafkaNullableString("reason", flexible: flexible) : nil
        try buffer.skipKafkaTaggedFields(flexible: flexible)
        return Self(
            groupId: groupId, sessionTimeoutMs: session, rebalanceTimeoutMs: rebalance, memberId: memberId,
            groupInstanceId: instance, protocolType: protocolType, protocols: protocols, reason: reason)
    }

    func encode(version: Int16, into buffer: inout ByteBuffer) {
        let flexible = KafkaFlexibleVersions.isFlexible(.joinGroup, version)
        buffer.writeKafkaString(groupId, flexible: flexible)
        buffer.writeKafkaInt32(sessionTimeoutMs)
        if version >= 1 { buffer.writeKafkaInt32(rebalanceTimeoutMs) }
        buffer.writeKafkaString(memberId, flexible: flexible)
        if version >= 5 { buffer.writeKafkaNullableString(groupInstanceId, flexible: flexible) }
        buffer.writeKafkaString(protocolType, flexible: flexible)
        buffer.writeKafkaArray(protocols, flexible: flexible) { buffer, groupProtocol in
            buffer.writeKafkaString(groupProtocol.name, flexible: flexible)
            buffer.writeKafkaBytes(groupProtocol.metadata, flexible: flexible)
            buffer.writeKafkaEmptyTaggedFields(flexible: flexible)
        }
        if version >= 8 { buffer.writeKafkaNullableString(reason, flexible: flexible) }
        buffer.writeKafkaEmptyTaggedFields(flexible: flexible)
    }
}

/// JoinGroup response, v0–9. The leader gets every member with its metadata; followers an empty list.
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
    /// v7+: the group's protocol type ("consumer"); nil on error.
    package var protocolType: String?
    /// The chosen assignor; nil on error, which v0–6 send as "" and v7+ as null (as Apache Kafka does).
    package var protocolName: String?
    package var leader: String
    package var memberId: String
    package var members: [Member]

    package init(
        throttleTimeMs: Int32 = 0, errorCode: KafkaErrorCode = .none, generationId: Int32,
        protocolType: String? = nil, protocolName: String?, leader: String, memberId: String,
        members: [Member] = []
    ) {
        self.throttleTimeMs = throttleTimeMs
        self.errorCode = errorCode
        self.generationId = generationId
        self.protocolType = protocolType
        self.protocolName = protocolName
        self.leader = leader
        self.memberId = memberId
        self.members = members
    }

    package func encode(version: Int16, into buffer: inout ByteBuffer) {
        let flexible = KafkaFlexibleVersions.isFlexible(.joinGroup, version)
        if version >= 2 { buffer.writeKafkaInt32(throttleTimeMs) }
        buffer.writeKafkaInt16(errorCode.rawValue)
        buffer.writeKafkaInt32(generationId)
        if version >= 7 {
            buffer.writeKafkaNullableString(protocolType, flexible: flexible)
            buffer.writeKafkaNullableString(protocolName, flexible: flexible)
        } else {
            buffer.writeKafkaString(protocolName ?? "", flexible: flexible)
        }
        buffer.writeKafkaString(leader, flexible: flexible)
        // v9+: SkipAssignment, true only for a leader that must not assign (a server-side assignor): never here.
        if version >= 9 { buffer.writeKafkaBool(false) }
        buffer.writeKafkaString(memberId, flexible: flexible)
        buffer.writeKafkaArray(members, flexible: flexible) { buffer, member in
            buffer.writeKafkaString(member.memberId, flexible: flexible)
            if version >= 5 { buffer.writeKafkaNullableString(member.groupInstanceId, flexible: flexible) }
            buffer.writeKafkaBytes(member.metadata, flexible: flexible)
            buffer.writeKafkaEmptyTaggedFields(flexible: flexible)
        }
        buffer.writeKafkaEmptyTaggedFields(flexible: flexible)
    }
}
