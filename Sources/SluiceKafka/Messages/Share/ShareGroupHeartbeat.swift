import NIOCore
import SluiceCore

/// ShareGroupHeartbeat request (key 76), v1 (KIP-932; flexible). A member joins with epoch 0, leaves with -1, and
/// sends its subscription only when it changed (null otherwise).
package struct KafkaShareGroupHeartbeatRequest: Sendable, Hashable {
    package var groupId: String
    package var memberId: String
    package var memberEpoch: Int32
    package var rackId: String?
    /// `nil`: unchanged since the last heartbeat.
    package var subscribedTopicNames: [String]?

    package init(
        groupId: String, memberId: String, memberEpoch: Int32, rackId: String? = nil,
        subscribedTopicNames: [String]? = nil
    ) {
        self.groupId = groupId
        self.memberId = memberId
        self.memberEpoch = memberEpoch
        self.rackId = rackId
        self.subscribedTopicNames = subscribedTopicNames
    }

    static func decode(version: Int16, from buffer: inout ByteBuffer) throws(KafkaDecodeError) -> Self {
        let request = Self(
            groupId: try buffer.readKafkaCompactString("group_id"),
            memberId: try buffer.readKafkaCompactString("member_id"),
            memberEpoch: try buffer.readKafkaInt32("member_epoch"),
            rackId: try buffer.readKafkaCompactNullableString("rack_id"),
            subscribedTopicNames: try FlexibleFields.stringArray(&buffer, "subscribed_topic_names"))
        try buffer.skipKafkaTaggedFields()
        return request
    }

    func encode(version: Int16, into buffer: inout ByteBuffer) {
        buffer.writeKafkaCompactString(groupId)
        buffer.writeKafkaCompactString(memberId)
        buffer.writeKafkaInt32(memberEpoch)
        buffer.writeKafkaCompactString(rackId)
        FlexibleFields.writeStringArray(subscribedTopicNames, into: &buffer)
        buffer.writeKafkaEmptyTaggedFields()
    }
}

/// ShareGroupHeartbeat response, v1.
package struct KafkaShareGroupHeartbeatResponse: KafkaResponse, Hashable {
    package typealias Assigned = KafkaTopicByID<Int32>

    package var throttleTimeMs: Int32
    package var errorCode: KafkaErrorCode
    package var errorMessage: String?
    /// The member's id (the server's, from the member's first heartbeat on).
    package var memberId: String?
    package var memberEpoch: Int32
    package var heartbeatIntervalMs: Int32
    /// `nil`: no assignment sent (unchanged); otherwise every partition the member may read.
    package var assignment: [Assigned]?

    package init(
        throttleTimeMs: Int32 = 0, errorCode: KafkaErrorCode = .none, errorMessage: String? = nil,
        memberId: String? = nil, memberEpoch: Int32 = 0, heartbeatIntervalMs: Int32 = 0, assignment: [Assigned]? = nil
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
            buffer.writeKafkaInt8(1)  // a nullable structure: 1 present, -1 null
            FlexibleFields.writeArray(assignment, into: &buffer) { buffer, topic in
                FlexibleFields.writeUUID(topic.topicId, into: &buffer)
                FlexibleFields.writeInt32Array(topic.partitions, into: &buffer)
                buffer.writeKafkaEmptyTaggedFields()
            }
            buffer.writeKafkaEmptyTaggedFields()
        } else {
            buffer.writeKafkaInt8(-1)
        }
        buffer.writeKafkaEmptyTaggedFields()
    }
}
