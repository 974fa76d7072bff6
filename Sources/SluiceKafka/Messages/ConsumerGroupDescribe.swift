import NIOCore

/// ConsumerGroupDescribe request (key 69), v0 (KIP-848; flexible).
package struct KafkaConsumerGroupDescribeRequest: Sendable, Hashable {
    package var groupIds: [String]
    package var includeAuthorizedOperations: Bool

    package init(groupIds: [String], includeAuthorizedOperations: Bool = false) {
        self.groupIds = groupIds
        self.includeAuthorizedOperations = includeAuthorizedOperations
    }

    static func decode(version: Int16, from buffer: inout ByteBuffer) throws(KafkaDecodeError) -> Self {
        let groups = try buffer.readKafkaCompactStringArray("group_ids") ?? []
        let include = try buffer.readKafkaBool("include_authorized_operations")
        try buffer.skipKafkaTaggedFields()
        return Self(groupIds: groups, includeAuthorizedOperations: include)
    }

    func encode(version: Int16, into buffer: inout ByteBuffer) {
        buffer.writeKafkaCompactStringArray(groupIds)
        buffer.writeKafkaBool(includeAuthorizedOperations)
        buffer.writeKafkaEmptyTaggedFields()
    }
}

/// ConsumerGroupDescribe response, v0.
package struct KafkaConsumerGroupDescribeResponse: KafkaResponse, Hashable {
    /// A topic's partitions with both its id and its name.
    package struct TopicPartitions: Sendable, Hashable {
        package var topicId: KafkaTopicUUID
        package var topicName: String
        package var partitions: [Int32]

        package init(topicId: KafkaTopicUUID, topicName: String, partitions: [Int32]) {
            self.topicId = topicId
            self.topicName = topicName
            self.partitions = partitions
        }
    }

    package struct Member: Sendable, Hashable {
        package var memberId: String
        package var instanceId: String?
        package var rackId: String?
        package var memberEpoch: Int32
        package var clientId: String
        package var clientHost: String
        package var subscribedTopicNames: [String]
        package var subscribedTopicRegex: String?
        package var assignment: [TopicPartitions]
        package var targetAssignment: [TopicPartitions]

        package init(
            memberId: String, instanceId: String? = nil, rackId: String? = nil, memberEpoch: Int32,
            clientId: String, clientHost: String, subscribedTopicNames: [String],
            subscribedTopicRegex: String? = nil, assignment: [TopicPartitions], targetAssignment: [TopicPartitions]
        ) {
            self.memberId = memberId
            self.instanceId = instanceId
            self.rackId = rackId
            self.memberEpoch = memberEpoch
            self.clientId = clientId
            self.clientHost = clientHost
            self.subscribedTopicNames = subscribedTopicNames
            self.subscribedTopicRegex = subscribedTopicRegex
            self.assignment = assignment
            self.targetAssignment = targetAssignment
        }
    }

    package struct Group: Sendable, Hashable {
        package var errorCode: KafkaErrorCode
        package var errorMessage: String?
        package var groupId: String
        package var groupState: String
        package var groupEpoch: Int32
        package var assignmentEpoch: Int32
        package var assignorName: String
        package var members: [Member]
        /// Kafka's "not asked" value, `Int32.min`, unless operations were asked for.
        package var authorizedOperations: Int32

        package init(
            errorCode: KafkaErrorCode = .none, errorMessage: String? = nil, groupId: String, groupState: String = "",
            groupEpoch: Int32 = 0, assignmentEpoch: Int32 = 0, assignorName: String = "", members: [Member] = [],
            authorizedOperations: Int32 = .min
        ) {
            self.errorCode = errorCode
            self.errorMessage = errorMessage
            self.groupId = groupId
            self.groupState = groupState
            self.groupEpoch = groupEpoch
            self.assignmentEpoch = assignmentEpoch
            self.assignorName = assignorName
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
        func assignment(_ topics: [TopicPartitions], into buffer: inout ByteBuffer) {
            buffer.writeKafkaCompactArrayCount(topics.count)
            for topic in topics {
                buffer.writeKafkaConsumerUUID(topic.topicId)
                buffer.writeKafkaCompactString(topic.topicName)
                buffer.writeKafkaCompactInt32Array(topic.partitions)
                buffer.writeKafkaEmptyTaggedFields()
            }
            buffer.writeKafkaEmptyTaggedFields()
        }
        buffer.writeKafkaInt32(throttleTimeMs)
        buffer.writeKafkaCompactArrayCount(groups.count)
        for group in groups {
            buffer.writeKafkaInt16(group.errorCode.rawValue)
            buffer.writeKafkaCompactString(group.errorMessage)
            buffer.writeKafkaCompactString(group.groupId)
            buffer.writeKafkaCompactString(group.groupState)
            buffer.writeKafkaInt32(group.groupEpoch)
            buffer.writeKafkaInt32(group.assignmentEpoch)
            buffer.writeKafkaCompactString(group.assignorName)
            buffer.writeKafkaCompactArrayCount(group.members.count)
            for member in group.members {
                buffer.writeKafkaCompactString(member.memberId)
                buffer.writeKafkaCompactString(member.instanceId)
                buffer.writeKafkaCompactString(member.rackId)
                buffer.writeKafkaInt32(member.memberEpoch)
                buffer.writeKafkaCompactString(member.clientId)
                buffer.writeKafkaCompactString(member.clientHost)
                buffer.writeKafkaCompactStringArray(member.subscribedTopicNames)
                buffer.writeKafkaCompactString(member.subscribedTopicRegex)
                assignment(member.assignment, into: &buffer)
                assignment(member.targetAssignment, into: &buffer)
                buffer.writeKafkaEmptyTaggedFields()
            }
            buffer.writeKafkaInt32(group.authorizedOperations)
            buffer.writeKafkaEmptyTaggedFields()
        }
        buffer.writeKafkaEmptyTaggedFields()
    }
}
