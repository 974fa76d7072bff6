import NIOCore
import SluiceCore

/// ShareAcknowledge request (key 79), v1 (KIP-932; flexible): acknowledgements alone, in the member's share
/// session.
package struct KafkaShareAcknowledgeRequest: Sendable, Hashable {
    package typealias Partition = KafkaShareFetchRequest.Partition
    package typealias Topic = KafkaTopicByID<Partition>

    package var groupId: String?
    package var memberId: String?
    package var shareSessionEpoch: Int32
    package var topics: [Topic]

    package init(groupId: String?, memberId: String?, shareSessionEpoch: Int32, topics: [Topic]) {
        self.groupId = groupId
        self.memberId = memberId
        self.shareSessionEpoch = shareSessionEpoch
        self.topics = topics
    }

    static func decode(version: Int16, from buffer: inout ByteBuffer) throws(KafkaDecodeError) -> Self {
        var request = Self(
            groupId: try buffer.readKafkaCompactNullableString("group_id"),
            memberId: try buffer.readKafkaCompactNullableString("member_id"),
            shareSessionEpoch: try buffer.readKafkaInt32("share_session_epoch"), topics: [])
        request.topics = try FlexibleFields.array(&buffer, minElementSize: 18, "topics") {
            buffer throws(KafkaDecodeError) in
            let id = try FlexibleFields.uuid(&buffer, "topic_id")
            let partitions = try FlexibleFields.array(&buffer, minElementSize: 6, "partitions") {
                buffer throws(KafkaDecodeError) in
                let index = try buffer.readKafkaInt32("partition_index")
                let batches = try FlexibleFields.array(&buffer, minElementSize: 18, "acknowledgement_batches") {
                    buffer throws(KafkaDecodeError) in try KafkaAcknowledgementBatch.decode(from: &buffer)
                }
                try buffer.skipKafkaTaggedFields()
                return Partition(partitionIndex: index, acknowledgementBatches: batches)
            }
            try buffer.skipKafkaTaggedFields()
            return Topic(topicId: id, partitions: partitions)
        }
        try buffer.skipKafkaTaggedFields()
        return request
    }

    func encode(version: Int16, into buffer: inout ByteBuffer) {
        buffer.writeKafkaCompactString(groupId)
        buffer.writeKafkaCompactString(memberId)
        buffer.writeKafkaInt32(shareSessionEpoch)
        FlexibleFields.writeArray(topics, into: &buffer) { buffer, topic in
            FlexibleFields.writeUUID(topic.topicId, into: &buffer)
            FlexibleFields.writeArray(topic.partitions, into: &buffer) { buffer, partition in
                buffer.writeKafkaInt32(partition.partitionIndex)
                FlexibleFields.writeArray(partition.acknowledgementBatches, into: &buffer) { $1.encode(into: &$0) }
                buffer.writeKafkaEmptyTaggedFields()
            }
            buffer.writeKafkaEmptyTaggedFields()
        }
        buffer.writeKafkaEmptyTaggedFields()
    }

    /// Partitions and acknowledgement batches named, for the request limits.
    package var entryCount: Int {
        topics.reduce(0) { $0 + $1.partitions.reduce(0) { $0 + 1 + $1.acknowledgementBatches.count } }
    }
}

/// ShareAcknowledge response, v1.
package struct KafkaShareAcknowledgeResponse: KafkaResponse, Hashable {
    package struct Partition: Sendable, Hashable {
        package var partitionIndex: Int32
        package var errorCode: KafkaErrorCode
        package var errorMessage: String?
        package var leaderId: Int32
        package var leaderEpoch: Int32
        package init(
            partitionIndex: Int32, errorCode: KafkaErrorCode = .none, errorMessage: String? = nil,
            leaderId: Int32 = 1, leaderEpoch: Int32 = 0
        ) {
            self.partitionIndex = partitionIndex
            self.errorCode = errorCode
            self.errorMessage = errorMessage
            self.leaderId = leaderId
            self.leaderEpoch = leaderEpoch
        }
    }

    package typealias Topic = KafkaTopicByID<Partition>

    package var throttleTimeMs: Int32
    package var errorCode: KafkaErrorCode
    package var errorMessage: String?
    package var responses: [Topic]
    package var nodeEndpoints: [KafkaNodeEndpoint]

    package init(
        throttleTimeMs: Int32 = 0, errorCode: KafkaErrorCode = .none, errorMessage: String? = nil,
        responses: [Topic] = [], nodeEndpoints: [KafkaNodeEndpoint] = []
    ) {
        self.throttleTimeMs = throttleTimeMs
        self.errorCode = errorCode
        self.errorMessage = errorMessage
        self.responses = responses
        self.nodeEndpoints = nodeEndpoints
    }

    package func encode(version: Int16, into buffer: inout ByteBuffer) {
        buffer.writeKafkaInt32(throttleTimeMs)
        buffer.writeKafkaInt16(errorCode.rawValue)
        buffer.writeKafkaCompactString(errorMessage)
        FlexibleFields.writeArray(responses, into: &buffer) { buffer, topic in
            FlexibleFields.writeUUID(topic.topicId, into: &buffer)
            FlexibleFields.writeArray(topic.partitions, into: &buffer) { buffer, partition in
                buffer.writeKafkaInt32(partition.partitionIndex)
                buffer.writeKafkaInt16(partition.errorCode.rawValue)
                buffer.writeKafkaCompactString(partition.errorMessage)
                buffer.writeKafkaInt32(partition.leaderId)
                buffer.writeKafkaInt32(partition.leaderEpoch)
                buffer.writeKafkaEmptyTaggedFields()  // CurrentLeader's
                buffer.writeKafkaEmptyTaggedFields()
            }
            buffer.writeKafkaEmptyTaggedFields()
        }
        FlexibleFields.writeArray(nodeEndpoints, into: &buffer) { $1.encode(into: &$0) }
        buffer.writeKafkaEmptyTaggedFields()
    }
}
