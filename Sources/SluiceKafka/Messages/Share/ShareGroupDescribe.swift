import NIOCore
import SluiceCore

/// ShareGroupDescribe request (key 77), v1 (flexible).
package struct KafkaShareGroupDescribeRequest: Sendable, Hashable {
    package var groupIds: [String]
    package var includeAuthorizedOperations: Bool

    package init(groupIds: [String], includeAuthorizedOperations: Bool = false) {
        self.groupIds = groupIds
        self.includeAuthorizedOperations = includeAuthorizedOperations
    }

    static func decode(version: Int16, from buffer: inout ByteBuffer) throws(KafkaDecodeError) -> Self {
        let request = Self(
            groupIds: try FlexibleFields.stringArray(&buffer, "group_ids") ?? [],
            includeAuthorizedOperations: try buffer.readKafkaBool("include_authorized_operations"))
        try buffer.skipKafkaTaggedFields()
        return request
    }

    func encode(version: Int16, into buffer: inout ByteBuffer) {
        FlexibleFields.writeStringArray(groupIds, into: &buffer)
        buffer.writeKafkaBool(includeAuthorizedOperations)
        buffer.writeKafkaEmptyTaggedFields()
    }
}

/// ShareGroupDescribe response, v1.
package struct KafkaShareGroupDescribeResponse: KafkaResponse, Hashable {
    package struct TopicPartitions: Sendable, Hashable {
        package var topicId: TopicID
        package var topicName: String
        package var partitions: [Int32]
        package init(topicId: TopicID, topicName: String, partitions: [Int32]) {
            self.topicId = topicId
            self.topicName = topicName
            self.partitions = partitions
        }
    }

    package struct Member: Sendable, Hashable {
        package var memberId: String
        package var rackId: String?
        package var memberEpoch: Int32
        package var clientId: String
        package var clientHost: String
        package var subscribedTopicNames: [String]
        package var assignment: [TopicPartitions]
        package init(
            memberId: String, rackId: String? = nil, memberEpoch: Int32, clientId: String, clientHost: String,
            subscribedTopicNames: [String], assignment: [TopicPartitions]
        ) {
            self.memberId = memberId
            self.rackId = rackId
            self.memberEpoch = memberEpoch
            self.clientId = clientId
            self.clientHost = clientHost
            self.subscribedTopicNames = subscribedTopicNames
            self.assignment = assignment
        }
    }

    package struct Group: Sendable, Hashable {
        package var errorCode: KafkaErrorCode
        package var errorMessage: String?
        package var groupId: String
        /// Kafka's share-group states: "Empty", "Stable", "Dead".
        package var groupState: String
        package var groupEpoch: Int32
        package var assignmentEpoch: Int32
        package var assignorName: String
        package var members: [Member]
        /// Kafka's "not asked" value, Int32.min, unless authorized operations were asked for.
        package var authorizedOperations: Int32
        package init(
            errorCode: KafkaErrorCode = .none, errorMessage: String? = nil, groupId: String, groupState: String,
            groupEpoch: Int32 = 0, assignmentEpoch: Int32 = 0, assignorName: String = "simple",
            members: [Member] = [], authorizedOperations: Int32 = Int32.min
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
        buffer.writeKafkaInt32(throttleTimeMs)
        FlexibleFields.writeArray(groups, into: &buffer) { buffer, group in
            buffer.writeKafkaInt16(group.errorCode.rawValue)
            buffer.writeKafkaCompactString(group.errorMessage)
            buffer.writeKafkaCompactString(group.groupId)
            buffer.writeKafkaCompactString(group.groupState)
            buffer.writeKafkaInt32(group.groupEpoch)
            buffer.writeKafkaInt32(group.assignmentEpoch)
            buffer.writeKafkaCompactString(group.assignorName)
            FlexibleFields.writeArray(group.members, into: &buffer) { buffer, member in
                buffer.writeKafkaCompactString(member.memberId)
                buffer.writeKafkaCompactString(member.rackId)
                buffer.writeKafkaInt32(member.memberEpoch)
                buffer.writeKafkaCompactString(member.clientId)
                buffer.writeKafkaCompactString(member.clientHost)
                FlexibleFields.writeStringArray(member.subscribedTopicNames, into: &buffer)
                // Assignment: a structure holding the topic-partitions array.
                FlexibleFields.writeArray(member.assignment, into: &buffer) { buffer, topic in
                    FlexibleFields.writeUUID(topic.topicId, into: &buffer)
                    buffer.writeKafkaCompactString(topic.topicName)
                    FlexibleFields.writeInt32Array(topic.partitions, into: &buffer)
                    buffer.writeKafkaEmptyTaggedFields()
                }
                buffer.writeKafkaEmptyTaggedFields()  // the assignment's
                buffer.writeKafkaEmptyTaggedFields()  // the member's
            }
            buffer.writeKafkaInt32(group.authorizedOperations)
            buffer.writeKafkaEmptyTaggedFields()
        }
        buffer.writeKafkaEmptyTaggedFields()
    }
}
