import NIOCore

/// ListGroups request (key 16), v0–5; flexible from v3. v4 adds a filter on states (KIP-518), v5 on group types
/// (KIP-848). An empty filter lists everything.
package struct KafkaListGroupsRequest: Sendable, Hashable {
    package var statesFilter: [String]
    package var typesFilter: [String]

    package init(statesFilter: [String] = [], typesFilter: [String] = []) {
        self.statesFilter = statesFilter
        self.typesFilter = typesFilter
    }

    static func decode(version: Int16, from buffer: inout ByteBuffer) throws(KafkaDecodeError) -> Self {
        let flexible = version >= 3
        var request = Self()
        if version >= 4 { request.statesFilter = try buffer.readVersionedStringArray(flexible, "states_filter") }
        if version >= 5 { request.typesFilter = try buffer.readVersionedStringArray(flexible, "types_filter") }
        try buffer.readVersionedTags(flexible)
        return request
    }

    func encode(version: Int16, into buffer: inout ByteBuffer) {
        let flexible = version >= 3
        if version >= 4 { buffer.writeVersionedStringArray(statesFilter, flexible) }
        if version >= 5 { buffer.writeVersionedStringArray(typesFilter, flexible) }
        buffer.writeVersionedTags(flexible)
    }
}

/// ListGroups response, v0–5.
package struct KafkaListGroupsResponse: KafkaResponse, Hashable {
    package struct Group: Sendable, Hashable {
        package var groupId: String
        package var protocolType: String
        /// v4+.
        package var groupState: String
        /// v5+: "classic" or "consumer".
        package var groupType: String

        package init(groupId: String, protocolType: String, groupState: String, groupType: String) {
            self.groupId = groupId
            self.protocolType = protocolType
            self.groupState = groupState
            self.groupType = groupType
        }
    }

    package var throttleTimeMs: Int32
    package var errorCode: KafkaErrorCode
    package var groups: [Group]

    package init(throttleTimeMs: Int32 = 0, errorCode: KafkaErrorCode = .none, groups: [Group]) {
        self.throttleTimeMs = throttleTimeMs
        self.errorCode = errorCode
        self.groups = groups
    }

    package func encode(version: Int16, into buffer: inout ByteBuffer) {
        let flexible = version >= 3
        if version >= 1 { buffer.writeKafkaInt32(throttleTimeMs) }
        buffer.writeKafkaInt16(errorCode.rawValue)
        buffer.writeVersionedArray(groups, flexible) { buffer, group in
            buffer.writeVersionedString(group.groupId, flexible)
            buffer.writeVersionedString(group.protocolType, flexible)
            if version >= 4 { buffer.writeVersionedString(group.groupState, flexible) }
            if version >= 5 { buffer.writeVersionedString(group.groupType, flexible) }
            buffer.writeVersionedTags(flexible)
        }
        buffer.writeVersionedTags(flexible)
    }
}

/// DescribeGroups request (key 15), v0–5; flexible from v5.
package struct KafkaDescribeGroupsRequest: Sendable, Hashable {
    package var groups: [String]
    /// v3+.
    package var includeAuthorizedOperations: Bool

    package init(groups: [String], includeAuthorizedOperations: Bool = false) {
        self.groups = groups
        self.includeAuthorizedOperations = includeAuthorizedOperations
    }

    static func decode(version: Int16, from buffer: inout ByteBuffer) throws(KafkaDecodeError) -> Self {
        let flexible = version >= 5
        var request = Self(groups: try buffer.readVersionedStringArray(flexible, "groups"))
        if version >= 3 {
            request.includeAuthorizedOperations = try buffer.readKafkaBool("include_authorized_operations")
        }
        try buffer.readVersionedTags(flexible)
        return request
    }

    func encode(version: Int16, into buffer: inout ByteBuffer) {
        let flexible = version >= 5
        buffer.writeVersionedStringArray(groups, flexible)
        if version >= 3 { buffer.writeKafkaBool(includeAuthorizedOperations) }
        buffer.writeVersionedTags(flexible)
    }
}

/// DescribeGroups response, v0–5.
package struct KafkaDescribeGroupsResponse: KafkaResponse, Hashable {
    package struct Member: Sendable, Hashable {
        package var memberId: String
        /// v4+.
        package var groupInstanceId: String?
        package var clientId: String
        package var clientHost: String
        package var memberMetadata: [UInt8]
        package var memberAssignment: [UInt8]

        package init(
            memberId: String, groupInstanceId: String? = nil, clientId: String, clientHost: String,
            memberMetadata: [UInt8], memberAssignment: [UInt8]
        ) {
            self.memberId = memberId
            self.groupInstanceId = groupInstanceId
            self.clientId = clientId
            self.clientHost = clientHost
            self.memberMetadata = memberMetadata
            self.memberAssignment = memberAssignment
        }
    }

    package struct Group: Sendable, Hashable {
        package var errorCode: KafkaErrorCode
        package var groupId: String
        package var groupState: String
        package var protocolType: String
        package var protocolData: String
        package var members: [Member]
        /// v3+; Int32.min when not asked for.
        package var authorizedOperations: Int32

        package init(
            errorCode: KafkaErrorCode = .none, groupId: String, groupState: String, protocolType: String,
            protocolData: String, members: [Member], authorizedOperations: Int32 = .min
        ) {
            self.errorCode = errorCode
            self.groupId = groupId
            self.groupState = groupState
            self.protocolType = protocolType
            self.protocolData = protocolData
            self.members = members
            self.authorizedOperations = authorizedOperations
        }
    }

    package var throttleTimeMs: Int32
    package var groups: [Group]

    package init(throttleTimeMs: Int32 = 0, groups: [Group]) {
        self.throttleTimeMs = throttleTimeMs
        self.groups = groups
    }

    package func encode(version: Int16, into buffer: inout ByteBuffer) {
        let flexible = version >= 5
        if version >= 1 { buffer.writeKafkaInt32(throttleTimeMs) }
        buffer.writeVersionedArray(groups, flexible) { buffer, group in
            buffer.writeKafkaInt16(group.errorCode.rawValue)
            buffer.writeVersionedString(group.groupId, flexible)
            buffer.writeVersionedString(group.groupState, flexible)
            buffer.writeVersionedString(group.protocolType, flexible)
            buffer.writeVersionedString(group.protocolData, flexible)
            buffer.writeVersionedArray(group.members, flexible) { buffer, member in
                buffer.writeVersionedString(member.memberId, flexible)
                if version >= 4 { buffer.writeVersionedNullableString(member.groupInstanceId, flexible) }
                buffer.writeVersionedString(member.clientId, flexible)
                buffer.writeVersionedString(member.clientHost, flexible)
                buffer.writeVersionedBytes(member.memberMetadata, flexible)
                buffer.writeVersionedBytes(member.memberAssignment, flexible)
                buffer.writeVersionedTags(flexible)
            }
            if version >= 3 { buffer.writeKafkaInt32(group.authorizedOperations) }
            buffer.writeVersionedTags(flexible)
        }
        buffer.writeVersionedTags(flexible)
    }
}

/// DeleteGroups request (key 42), v0–2; flexible from v2.
package struct KafkaDeleteGroupsRequest: Sendable, Hashable {
    package var groupsNames: [String]

    package init(groupsNames: [String]) { self.groupsNames = groupsNames }

    static func decode(version: Int16, from buffer: inout ByteBuffer) throws(KafkaDecodeError) -> Self {
        let flexible = version >= 2
        let request = Self(groupsNames: try buffer.readVersionedStringArray(flexible, "groups_names"))
        try buffer.readVersionedTags(flexible)
        return request
    }

    func encode(version: Int16, into buffer: inout ByteBuffer) {
        let flexible = version >= 2
        buffer.writeVersionedStringArray(groupsNames, flexible)
        buffer.writeVersionedTags(flexible)
    }
}

/// DeleteGroups response, v0–2: an error code per group.
package struct KafkaDeleteGroupsResponse: KafkaResponse, Hashable {
    package struct Result: Sendable, Hashable {
        package var groupId: String
        package var errorCode: KafkaErrorCode

        package init(groupId: String, errorCode: KafkaErrorCode = .none) {
            self.groupId = groupId
            self.errorCode = errorCode
        }
    }

    package var throttleTimeMs: Int32
    package var results: [Result]

    package init(throttleTimeMs: Int32 = 0, results: [Result]) {
        self.throttleTimeMs = throttleTimeMs
        self.results = results
    }

    package func encode(version: Int16, into buffer: inout ByteBuffer) {
        let flexible = version >= 2
        buffer.writeKafkaInt32(throttleTimeMs)
        buffer.writeVersionedArray(results, flexible) { buffer, result in
            buffer.writeVersionedString(result.groupId, flexible)
            buffer.writeKafkaInt16(result.errorCode.rawValue)
            buffer.writeVersionedTags(flexible)
        }
        buffer.writeVersionedTags(flexible)
    }
}

/// OffsetDelete request (key 47), v0 (not flexible): forgets a group's committed offsets of some partitions.
package struct KafkaOffsetDeleteRequest: Sendable, Hashable {
    package var groupId: String
    package var topics: [KafkaTopic<Int32>]

    package init(groupId: String, topics: [KafkaTopic<Int32>]) {
        self.groupId = groupId
        self.topics = topics
    }

    static func decode(version: Int16, from buffer: inout ByteBuffer) throws(KafkaDecodeError) -> Self {
        let groupId = try buffer.readKafkaString("group_id")
        let topics = try buffer.readKafkaArray(minElementSize: 6, "topics") { buffer throws(KafkaDecodeError) in
            KafkaTopic(
                name: try buffer.readKafkaString("topic"), partitions: try buffer.readKafkaInt32Array("partitions"))
        }
        return Self(groupId: groupId, topics: topics)
    }

    func encode(version: Int16, into buffer: inout ByteBuffer) {
        buffer.writeKafkaString(groupId)
        buffer.writeKafkaTopics(topics) { $0.writeKafkaInt32($1) }
    }
}

/// OffsetDelete response, v0: a top-level error (the group's) and one per partition.
package struct KafkaOffsetDeleteResponse: KafkaResponse, Hashable {
    package struct Partition: Sendable, Hashable {
        package var partitionIndex: Int32
        package var errorCode: KafkaErrorCode

        package init(partitionIndex: Int32, errorCode: KafkaErrorCode = .none) {
            self.partitionIndex = partitionIndex
            self.errorCode = errorCode
        }
    }

    package var errorCode: KafkaErrorCode
    package var throttleTimeMs: Int32
    package var topics: [KafkaTopic<Partition>]

    package init(errorCode: KafkaErrorCode = .none, throttleTimeMs: Int32 = 0, topics: [KafkaTopic<Partition>]) {
        self.errorCode = errorCode
        self.throttleTimeMs = throttleTimeMs
        self.topics = topics
    }

    package func encode(version: Int16, into buffer: inout ByteBuffer) {
        buffer.writeKafkaInt16(errorCode.rawValue)
        buffer.writeKafkaInt32(throttleTimeMs)
        buffer.writeKafkaTopics(topics) { buffer, partition in
            buffer.writeKafkaInt32(partition.partitionIndex)
            buffer.writeKafkaInt16(partition.errorCode.rawValue)
        }
    }
}

extension KafkaConsumerProtocol {
    /// A ConsumerProtocolSubscription v0 of `topics` with no user data: how a native member's subscription is shown.
    package static func subscription(topics: [String]) -> [UInt8] {
        var buffer = ByteBufferAllocator().buffer(capacity: 16)
        buffer.writeInteger(Int16(0))
        buffer.writeInteger(Int32(topics.count))
        for topic in topics {
            buffer.writeInteger(Int16(topic.utf8.count))
            buffer.writeString(topic)
        }
        buffer.writeInteger(Int32(-1))
        return Array(buffer.readableBytesView)
    }

    /// A ConsumerProtocolAssignment v0 of `partitions`, grouped by topic in first-seen order, with no user data.
    package static func assignment(_ partitions: [(topic: String, partition: Int32)]) -> [UInt8] {
        var order: [String] = []
        var byTopic: [String: [Int32]] = [:]
        for entry in partitions {
            if byTopic[entry.topic] == nil { order.append(entry.topic) }
            byTopic[entry.topic, default: []].append(entry.partition)
        }
        var buffer = ByteBufferAllocator().buffer(capacity: 16)
        buffer.writeInteger(Int16(0))
        buffer.writeInteger(Int32(order.count))
        for topic in order {
            buffer.writeInteger(Int16(topic.utf8.count))
            buffer.writeString(topic)
            let indexes = byTopic[topic] ?? []
            buffer.writeInteger(Int32(indexes.count))
            for index in indexes { buffer.writeInteger(index) }
        }
        buffer.writeInteger(Int32(-1))
        return Array(buffer.readableBytesView)
    }
}
