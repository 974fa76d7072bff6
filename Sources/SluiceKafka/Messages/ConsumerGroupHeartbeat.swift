import NIOCore

/// A topic id on the wire: Kafka's 128-bit UUID, most significant half first.
package typealias KafkaTopicUUID = UInt128

extension ByteBuffer {
    /// A Kafka `uuid`: 16 bytes, big-endian.
    mutating func readKafkaConsumerUUID(_ what: StaticString) throws(KafkaDecodeError) -> UInt128 {
        let high = try readKafkaInt64(what)
        let low = try readKafkaInt64(what)
        return UInt128(UInt64(bitPattern: high)) << 64 | UInt128(UInt64(bitPattern: low))
    }

    mutating func writeKafkaConsumerUUID(_ value: UInt128) {
        writeKafkaInt64(Int64(bitPattern: UInt64(truncatingIfNeeded: value >> 64)))
        writeKafkaInt64(Int64(bitPattern: UInt64(truncatingIfNeeded: value)))
    }

    /// A compact array of compact strings.
    mutating func readKafkaCompactStringArray(_ what: StaticString) throws(KafkaDecodeError) -> [String]? {
        guard let count = try readKafkaCompactArrayCount(minElementSize: 1, what) else { return nil }
        var strings: [String] = []
        strings.reserveCapacity(count)
        for _ in 0..<count { strings.append(try readKafkaCompactString(what)) }
        return strings
    }

    mutating func writeKafkaCompactStringArray(_ strings: [String]?) {
        writeKafkaCompactArrayCount(strings?.count)
        for string in strings ?? [] { writeKafkaCompactString(string) }
    }

    /// A compact array of int32.
    mutating func readKafkaCompactInt32Array(_ what: StaticString) throws(KafkaDecodeError) -> [Int32] {
        let count = try readKafkaCompactArrayCount(minElementSize: 4, what) ?? 0
        var values: [Int32] = []
        values.reserveCapacity(count)
        for _ in 0..<count { values.append(try readKafkaInt32(what)) }
        return values
    }

    mutating func writeKafkaCompactInt32Array(_ values: [Int32]) {
        writeKafkaCompactArrayCount(values.count)
        for value in values { writeKafkaInt32(value) }
    }
}

/// The member epochs KIP-848 gives a meaning of their own.
package enum KafkaMemberEpoch {
    /// A member joining (or rejoining after it was fenced).
    package static let join: Int32 = 0
    /// A member leaving the group.
    package static let leave: Int32 = -1
    /// A static member leaving, meaning to come back under the same instance id.
    package static let staticLeave: Int32 = -2
}

extension KafkaErrorCode {
    /// A member's epoch is not the one the coordinator holds: it must rejoin with epoch 0 (KIP-848).
    package static let fencedMemberEpoch = KafkaErrorCode(110)
    package static let unreleasedInstanceId = KafkaErrorCode(111)
    package static let unsupportedAssignor = KafkaErrorCode(112)
    /// An OffsetCommit (v9+) from a member at an epoch other than its current one.
    package static let staleMemberEpoch = KafkaErrorCode(113)
    package static let invalidRegularExpression = KafkaErrorCode(128)
}

/// A topic's partitions by topic id, as ConsumerGroupHeartbeat names them.
package struct KafkaTopicIDPartitions: Sendable, Hashable {
    package var topicId: KafkaTopicUUID
    package var partitions: [Int32]

    package init(topicId: KafkaTopicUUID, partitions: [Int32]) {
        self.topicId = topicId
        self.partitions = partitions
    }

    static func decode(from buffer: inout ByteBuffer) throws(KafkaDecodeError) -> Self {
        let id = try buffer.readKafkaConsumerUUID("topic_id")
        let partitions = try buffer.readKafkaCompactInt32Array("partitions")
        try buffer.skipKafkaTaggedFields()
        return Self(topicId: id, partitions: partitions)
    }

    func encode(into buffer: inout ByteBuffer) {
        buffer.writeKafkaConsumerUUID(topicId)
        buffer.writeKafkaCompactInt32Array(partitions)
        buffer.writeKafkaEmptyTaggedFields()
    }
}

/// ConsumerGroupHeartbeat request (key 68), v0–1 (KIP-848; flexible): a field left null did not change since the
/// member's last heartbeat. v0 is Kafka 3.9's (the coordinator names a joining member); v1, Kafka 4.0's and the
/// one librdkafka 2.16 requires, adds a topic regex and has the member name itself (KIP-1082).
package struct KafkaConsumerGroupHeartbeatRequest: Sendable, Hashable {
    package var groupId: String
    /// Empty when joining: the coordinator names the member.
    package var memberId: String
    /// 0 to join, -1 to leave, -2 for a static member leaving for now; otherwise the epoch last heard.
    package var memberEpoch: Int32
    package var instanceId: String?
    package var rackId: String?
    /// -1 when unchanged.
    package var rebalanceTimeoutMs: Int32
    package var subscribedTopicNames: [String]?
    /// v1+.
    package var subscribedTopicRegex: String?
    package var serverAssignor: String?
    /// The partitions the member owns; nil when unchanged.
    package var topicPartitions: [KafkaTopicIDPartitions]?

    package init(
        groupId: String, memberId: String, memberEpoch: Int32, instanceId: String? = nil, rackId: String? = nil,
        rebalanceTimeoutMs: Int32 = -1, subscribedTopicNames: [String]? = nil, subscribedTopicRegex: String? = nil,
        serverAssignor: String? = nil, topicPartitions: [KafkaTopicIDPartitions]? = nil
    ) {
        self.groupId = groupId
        self.memberId = memberId
        self.memberEpoch = memberEpoch
        self.instanceId = instanceId
        self.rackId = rackId
        self.rebalanceTimeoutMs = rebalanceTimeoutMs
        self.subscribedTopicNames = subscribedTopicNames
        self.subscribedTopicRegex = subscribedTopicRegex
        self.serverAssignor = serverAssignor
        self.topicPartitions = topicPartitions
    }

    static func decode(version: Int16, from buffer: inout ByteBuffer) throws(KafkaDecodeError) -> Self {
        let groupId = try buffer.readKafkaCompactString("group_id")
        let memberId = try buffer.readKafkaCompactString("member_id")
        let epoch = try buffer.readKafkaInt32("member_epoch")
        let instanceId = try buffer.readKafkaCompactNullableString("instance_id")
        let rackId = try buffer.readKafkaCompactNullableString("rack_id")
        let rebalanceTimeout = try buffer.readKafkaInt32("rebalance_timeout_ms")
        let topics = try buffer.readKafkaCompactStringArray("subscribed_topic_names")
        let regex = version >= 1 ? try buffer.readKafkaCompactNullableString("subscribed_topic_regex") : nil
        let assignor = try buffer.readKafkaCompactNullableString("server_assignor")
        var owned: [KafkaTopicIDPartitions]? = nil
        if let count = try buffer.readKafkaCompactArrayCount(minElementSize: 18, "topic_partitions") {
            var entries: [KafkaTopicIDPartitions] = []
            for _ in 0..<count { entries.append(try .decode(from: &buffer)) }
            owned = entries
        }
        try buffer.skipKafkaTaggedFields()
        return Self(
            groupId: groupId, memberId: memberId, memberEpoch: epoch, instanceId: instanceId, rackId: rackId,
            rebalanceTimeoutMs: rebalanceTimeout, subscribedTopicNames: topics, subscribedTopicRegex: regex,
            serverAssignor: assignor, topicPartitions: owned)
    }

    func encode(version: Int16, into buffer: inout ByteBuffer) {
        buffer.writeKafkaCompactString(groupId)
        buffer.writeKafkaCompactString(memberId)
        buffer.writeKafkaInt32(memberEpoch)
        buffer.writeKafkaCompactString(instanceId)
        buffer.writeKafkaCompactString(rackId)
        buffer.writeKafkaInt32(rebalanceTimeoutMs)
        buffer.writeKafkaCompactStringArray(subscribedTopicNames)
        if version >= 1 { buffer.writeKafkaCompactString(subscribedTopicRegex) }
        buffer.writeKafkaCompactString(serverAssignor)
        buffer.writeKafkaCompactArrayCount(topicPartitions?.count)
        for entry in topicPartitions ?? [] { entry.encode(into: &buffer) }
        buffer.writeKafkaEmptyTaggedFields()
    }
}

/// ConsumerGroupHeartbeat response, v0–1 (the same fields).
package struct KafkaConsumerGroupHeartbeatResponse: KafkaResponse, Hashable {
    package var throttleTimeMs: Int32
    package var errorCode: KafkaErrorCode
    package var errorMessage: String?
    /// The member's id, given when it joins (epoch 0); nil otherwise.
    package var memberId: String?
    package var memberEpoch: Int32
    package var heartbeatIntervalMs: Int32
    /// The partitions the member may use now; nil when unchanged since the last answer.
    package var assignment: [KafkaTopicIDPartitions]?

    package init(
        throttleTimeMs: Int32 = 0, errorCode: KafkaErrorCode = .none, errorMessage: String? = nil,
        memberId: String? = nil, memberEpoch: Int32 = -1, heartbeatIntervalMs: Int32 = 0,
        assignment: [KafkaTopicIDPartitions]? = nil
    ) {
        self.throttleTimeMs = throttleTimeMs
        self.errorCode = errorCode
        self.errorMessage = errorMessage
        self.memberId = memberId
        self.memberEpoch = memberEpoch
        self.heartbeatIntervalMs = heartbeatIntervalMs
        self.assignment = assignment
    }

    package func encode(version: Int16, into buffer: inout ByteBuffer) {
        buffer.writeKafkaInt32(throttleTimeMs)
        buffer.writeKafkaInt16(errorCode.rawValue)
        buffer.writeKafkaCompactString(errorMessage)
        buffer.writeKafkaCompactString(memberId)
        buffer.writeKafkaInt32(memberEpoch)
        buffer.writeKafkaInt32(heartbeatIntervalMs)
        if let assignment {
            // A nullable struct: int8 1 (present) or -1 (null).
            buffer.writeKafkaInt8(1)
            buffer.writeKafkaCompactArrayCount(assignment.count)
            for entry in assignment { entry.encode(into: &buffer) }
            buffer.writeKafkaEmptyTaggedFields()
        } else {
            buffer.writeKafkaInt8(-1)
        }
        buffer.writeKafkaEmptyTaggedFields()
    }
}
