import NIOCore

/// OffsetFetch request (key 9), v0–9; flexible from v6. Up to v7 it asks for one group, from v8 for several
/// (`groups`, each answered on its own); below v8 `groups` holds exactly one.
package struct KafkaOffsetFetchRequest: Sendable, Hashable {
    package struct Topic: Sendable, Hashable {
        package var name: String
        package var partitionIndexes: [Int32]
        package init(name: String, partitionIndexes: [Int32]) {
            self.name = name
            self.partitionIndexes = partitionIndexes
        }
    }

    package struct Group: Sendable, Hashable {
        package var groupId: String
        /// v9+: the KIP-848 member asking, and its epoch (nil and -1 for anyone else).
        package var memberId: String?
        package var memberEpoch: Int32
        /// `nil` (v2+) asks for every committed partition of the group.
        package var topics: [Topic]?
        package init(groupId: String, memberId: String? = nil, memberEpoch: Int32 = -1, topics: [Topic]?) {
            self.groupId = groupId
            self.memberId = memberId
            self.memberEpoch = memberEpoch
            self.topics = topics
        }
    }

    package var groups: [Group]
    /// v7+: wait out offsets pending in a transaction (Sluice has none, so every answer is stable).
    package var requireStable: Bool

    package init(groups: [Group], requireStable: Bool = false) {
        self.groups = groups
        self.requireStable = requireStable
    }

    /// The one-group form of v0–7.
    package init(groupId: String, topics: [Topic]?, requireStable: Bool = false) {
        self.init(groups: [Group(groupId: groupId, topics: topics)], requireStable: requireStable)
    }

    static func decode(version: Int16, from buffer: inout ByteBuffer) throws(KafkaDecodeError) -> Self {
        let flexible = KafkaFlexibleVersions.isFlexible(.offsetFetch, version)
        let groups: [Group]
        if version >= 8 {
            groups = try buffer.readKafkaArray(minElementSize: 3, "groups", flexible: flexible) {
                buffer throws(KafkaDecodeError) in
                let groupId = try buffer.readKafkaString("group_id", flexible: flexible)
                let memberId = version >= 9 ? try buffer.readKafkaNullableString("member_id", flexible: flexible) : nil
                let epoch = version >= 9 ? try buffer.readKafkaInt32("member_epoch") : -1
                let topics = try readTopics(from: &buffer, flexible: flexible)
                try buffer.skipKafkaTaggedFields(flexible: flexible)
                return Group(groupId: groupId, memberId: memberId, memberEpoch: epoch, topics: topics)
            }
        } else {
            let groupId = try buffer.readKafkaString("group_id", flexible: flexible)
            let topics = try readTopics(from: &buffer, flexible: flexible)
            if topics == nil && version < 2 { throw .invalid("topics: null before v2") }
            groups = [Group(groupId: groupId, topics: topics)]
        }
        let requireStable = version >= 7 ? try buffer.readKafkaBool("require_stable") : false
        try buffer.skipKafkaTaggedFields(flexible: flexible)
        return Self(groups: groups, requireStable: requireStable)
    }

    private static func readTopics(from buffer: inout ByteBuffer, flexible: Bool) throws(KafkaDecodeError)
        -> [Topic]?
    {
        try buffer.readKafkaNullableArray(minElementSize: flexible ? 3 : 6, "topics", flexible: flexible) {
            buffer throws(KafkaDecodeError) in
            let topic = Topic(
                name: try buffer.readKafkaString("topic", flexible: flexible),
                partitionIndexes: try buffer.readKafkaInt32Array("partition_indexes", flexible: flexible))
            try buffer.skipKafkaTaggedFields(flexible: flexible)
            return topic
        }
    }

    func encode(version: Int16, into buffer: inout ByteBuffer) {
        let flexible = KafkaFlexibleVersions.isFlexible(.offsetFetch, version)
        let writeTopics: (inout ByteBuffer, [Topic]?) -> Void = { buffer, topics in
            buffer.writeKafkaNullableArray(topics, flexible: flexible) { buffer, topic in
                buffer.writeKafkaString(topic.name, flexible: flexible)
                buffer.writeKafkaInt32Array(topic.partitionIndexes, flexible: flexible)
                buffer.writeKafkaEmptyTaggedFields(flexible: flexible)
            }
        }
        if version >= 8 {
            buffer.writeKafkaArray(groups, flexible: flexible) { buffer, group in
                buffer.writeKafkaString(group.groupId, flexible: flexible)
                if version >= 9 {
                    buffer.writeKafkaNullableString(group.memberId, flexible: flexible)
                    buffer.writeKafkaInt32(group.memberEpoch)
                }
                writeTopics(&buffer, group.topics)
                buffer.writeKafkaEmptyTaggedFields(flexible: flexible)
            }
        } else {
            let group = groups.first ?? Group(groupId: "", topics: [])
            buffer.writeKafkaString(group.groupId, flexible: flexible)
            writeTopics(&buffer, group.topics)
        }
        if version >= 7 { buffer.writeKafkaBool(requireStable) }
        buffer.writeKafkaEmptyTaggedFields(flexible: flexible)
    }
}

/// OffsetFetch response, v0–9. An uncommitted partition is offset -1 with error 0. Up to v7 it answers one group
/// (`groups` holds one; its id is not sent), from v8 each group asked for.
package struct KafkaOffsetFetchResponse: KafkaResponse, Hashable {
    package struct Partition: Sendable, Hashable {
        package var partitionIndex: Int32
        package var committedOffset: Int64
        /// v5+.
        package var committedLeaderEpoch: Int32
        package var metadata: String?
        package var errorCode: KafkaErrorCode
        package init(
            partitionIndex: Int32, committedOffset: Int64, committedLeaderEpoch: Int32 = -1, metadata: String?,
            errorCode: KafkaErrorCode = .none
        ) {
            self.partitionIndex = partitionIndex
            self.committedOffset = committedOffset
            self.committedLeaderEpoch = committedLeaderEpoch
            self.metadata = metadata
            self.errorCode = errorCode
        }
    }

    package typealias Topic = KafkaTopic<Partition>

    package struct Group: Sendable, Hashable {
        package var groupId: String
        package var topics: [Topic]
        /// v2+ (before v2 only the partitions carry errors).
        package var errorCode: KafkaErrorCode
        package init(groupId: String, topics: [Topic], errorCode: KafkaErrorCode = .none) {
            self.groupId = groupId
            self.topics = topics
            self.errorCode = errorCode
        }
    }

    /// v3+.
    package var throttleTimeMs: Int32
    package var groups: [Group]

    package init(throttleTimeMs: Int32 = 0, groups: [Group]) {
        self.throttleTimeMs = throttleTimeMs
        self.groups = groups
    }

    /// The one-group answer of v0–7.
    package init(throttleTimeMs: Int32 = 0, topics: [Topic], errorCode: KafkaErrorCode = .none) {
        self.init(throttleTimeMs: throttleTimeMs, groups: [Group(groupId: "", topics: topics, errorCode: errorCode)])
    }

    package func encode(version: Int16, into buffer: inout ByteBuffer) {
        let flexible = KafkaFlexibleVersions.isFlexible(.offsetFetch, version)
        if version >= 3 { buffer.writeKafkaInt32(throttleTimeMs) }
        let writeTopics: (inout ByteBuffer, [Topic]) -> Void = { buffer, topics in
            buffer.writeKafkaTopics(topics, flexible: flexible) { buffer, partition in
                buffer.writeKafkaInt32(partition.partitionIndex)
                buffer.writeKafkaInt64(partition.committedOffset)
                if version >= 5 { buffer.writeKafkaInt32(partition.committedLeaderEpoch) }
                buffer.writeKafkaNullableString(partition.metadata, flexible: flexible)
                buffer.writeKafkaInt16(partition.errorCode.rawValue)
            }
        }
        if version >= 8 {
            buffer.writeKafkaArray(groups, flexible: flexible) { buffer, group in
                buffer.writeKafkaString(group.groupId, flexible: flexible)
                writeTopics(&buffer, group.topics)
                buffer.writeKafkaInt16(group.errorCode.rawValue)
                buffer.writeKafkaEmptyTaggedFields(flexible: flexible)
            }
        } else {
            let group = groups.first ?? Group(groupId: "", topics: [])
            writeTopics(&buffer, group.topics)
            if version >= 2 { buffer.writeKafkaInt16(group.errorCode.rawValue) }
        }
        buffer.writeKafkaEmptyTaggedFields(flexible: flexible)
    }
}
