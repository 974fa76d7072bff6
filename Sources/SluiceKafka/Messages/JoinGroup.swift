import NIOCore

/// JoinGroup request (key 11), v0–5.
public struct KafkaJoinGroupRequest: Sendable, Hashable {
    public struct GroupProtocol: Sendable, Hashable {
        /// An assignor name, e.g. "range".
        public var name: String
        /// Opaque to the broker (a ConsumerProtocolSubscription for "consumer" groups).
        public var metadata: [UInt8]
        public init(name: String, metadata: [UInt8]) {
            self.name = name
            self.metadata = metadata
        }
    }

    public var groupId: String
    public var sessionTimeoutMs: Int32
    /// v1+; equals the session timeout below.
    public var rebalanceTimeoutMs: Int32
    /// "" on a first join.
    public var memberId: String
    /// v5+.
    public var groupInstanceId: String?
    public var protocolType: String
    public var protocols: [GroupProtocol]

    public init(
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
public struct KafkaJoinGroupResponse: KafkaResponse, Hashable {
    public struct Member: Sendable, Hashable {
        public var memberId: String
        /// v5+.
        public var groupInstanceId: String?
        public var metadata: [UInt8]
        public init(memberId: String, groupInstanceId: String? = nil, metadata: [UInt8]) {
            self.memberId = memberId
            self.groupInstanceId = groupInstanceId
            self.metadata = metadata
        }
    }

    /// v2+.
    public var throttleTimeMs: Int32
    public var errorCode: KafkaErrorCode
    public var generationId: Int32
    /// The chosen assignor; "" on error.
    public var protocolName: String
    public var leader: String
    public var memberId: String
    public var members: [Member]

    public init(
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

    public func encode(version: Int16, into buffer: inout ByteBuffer) {
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
