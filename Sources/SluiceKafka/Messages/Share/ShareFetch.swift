import NIOCore
import SluiceCore

/// ShareFetch request (key 78), v1 (KIP-932; flexible). Topics are named by id; a partition's entry may carry
/// acknowledgements of records it acquired before, applied before anything is acquired.
package struct KafkaShareFetchRequest: Sendable, Hashable {
    package struct Partition: Sendable, Hashable {
        package var partitionIndex: Int32
        package var acknowledgementBatches: [KafkaAcknowledgementBatch]
        package init(partitionIndex: Int32, acknowledgementBatches: [KafkaAcknowledgementBatch] = []) {
            self.partitionIndex = partitionIndex
            self.acknowledgementBatches = acknowledgementBatches
        }
    }

    package typealias Topic = KafkaTopicByID<Partition>
    package typealias ForgottenTopic = KafkaTopicByID<Int32>

    package var groupId: String?
    package var memberId: String?
    /// 0 opens a share session, -1 closes it, otherwise one more than the previous request's.
    package var shareSessionEpoch: Int32
    package var maxWaitMs: Int32
    package var minBytes: Int32
    package var maxBytes: Int32
    package var maxRecords: Int32
    package var batchSize: Int32
    package var topics: [Topic]
    package var forgottenTopicsData: [ForgottenTopic]

    package init(
        groupId: String?, memberId: String?, shareSessionEpoch: Int32, maxWaitMs: Int32 = 500, minBytes: Int32 = 1,
        maxBytes: Int32 = Int32.max, maxRecords: Int32 = 500, batchSize: Int32 = 500, topics: [Topic] = [],
        forgottenTopicsData: [ForgottenTopic] = []
    ) {
        self.groupId = groupId
        self.memberId = memberId
        self.shareSessionEpoch = shareSessionEpoch
        self.maxWaitMs = maxWaitMs
        self.minBytes = minBytes
        self.maxBytes = maxBytes
        self.maxRecords = maxRecords
        self.batchSize = batchSize
        self.topics = topics
        self.forgottenTopicsData = forgottenTopicsData
    }

    static func decode(version: Int16, from buffer: inout ByteBuffer) throws(KafkaDecodeError) -> Self {
        var request = Self(
            groupId: try buffer.readKafkaCompactNullableString("group_id"),
            memberId: try buffer.readKafkaCompactNullableString("member_id"),
            shareSessionEpoch: try buffer.readKafkaInt32("share_session_epoch"),
            maxWaitMs: try buffer.readKafkaInt32("max_wait_ms"), minBytes: try buffer.readKafkaInt32("min_bytes"),
            maxBytes: try buffer.readKafkaInt32("max_bytes"), maxRecords: try buffer.readKafkaInt32("max_records"),
            batchSize: try buffer.readKafkaInt32("batch_size"))
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
        request.forgottenTopicsData = try FlexibleFields.array(&buffer, minElementSize: 18, "forgotten_topics_data") {
            buffer throws(KafkaDecodeError) in
            let id = try FlexibleFields.uuid(&buffer, "topic_id")
            let partitions = try FlexibleFields.int32Array(&buffer, "partitions")
            try buffer.skipKafkaTaggedFields()
            return ForgottenTopic(topicId: id, partitions: partitions)
        }
        try buffer.skipKafkaTaggedFields()
        return request
    }

    func encode(version: Int16, into buffer: inout ByteBuffer) {
        buffer.writeKafkaCompactString(groupId)
        buffer.writeKafkaCompactString(memberId)
        buffer.writeKafkaInt32(shareSessionEpoch)
        buffer.writeKafkaInt32(maxWaitMs)
        buffer.writeKafkaInt32(minBytes)
        buffer.writeKafkaInt32(maxBytes)
        buffer.writeKafkaInt32(maxRecords)
        buffer.writeKafkaInt32(batchSize)
        FlexibleFields.writeArray(topics, into: &buffer) { buffer, topic in
            FlexibleFields.writeUUID(topic.topicId, into: &buffer)
            FlexibleFields.writeArray(topic.partitions, into: &buffer) { buffer, partition in
                buffer.writeKafkaInt32(partition.partitionIndex)
                FlexibleFields.writeArray(partition.acknowledgementBatches, into: &buffer) { $1.encode(into: &$0) }
                buffer.writeKafkaEmptyTaggedFields()
            }
            buffer.writeKafkaEmptyTaggedFields()
        }
        FlexibleFields.writeArray(forgottenTopicsData, into: &buffer) { buffer, topic in
            FlexibleFields.writeUUID(topic.topicId, into: &buffer)
            FlexibleFields.writeInt32Array(topic.partitions, into: &buffer)
            buffer.writeKafkaEmptyTaggedFields()
        }
        buffer.writeKafkaEmptyTaggedFields()
    }

    /// Partitions named, acknowledgement batches included, for the request limits.
    package var entryCount: Int {
        topics.reduce(0) { $0 + $1.partitions.reduce(0) { $0 + 1 + $1.acknowledgementBatches.count } }
            + forgottenTopicsData.reduce(0) { $0 + $1.partitions.count }
    }
}

/// ShareFetch response, v1.
package struct KafkaShareFetchResponse: KafkaResponse, Hashable {
    /// A run of offsets acquired with one delivery count.
    package struct AcquiredRecords: Sendable, Hashable {
        package var firstOffset: Int64
        package var lastOffset: Int64
        package var deliveryCount: Int16
        package init(firstOffset: Int64, lastOffset: Int64, deliveryCount: Int16) {
            self.firstOffset = firstOffset
            self.lastOffset = lastOffset
            self.deliveryCount = deliveryCount
        }
    }

    package struct Partition: Sendable, Hashable {
        package var partitionIndex: Int32
        package var errorCode: KafkaErrorCode
        package var errorMessage: String?
        package var acknowledgeErrorCode: KafkaErrorCode
        package var acknowledgeErrorMessage: String?
        package var leaderId: Int32
        package var leaderEpoch: Int32
        /// Whole RecordBatch v2 bytes; `nil` is written as null records.
        package var records: ByteBuffer?
        package var acquiredRecords: [AcquiredRecords]
        package init(
            partitionIndex: Int32, errorCode: KafkaErrorCode = .none, errorMessage: String? = nil,
            acknowledgeErrorCode: KafkaErrorCode = .none, acknowledgeErrorMessage: String? = nil,
            leaderId: Int32 = 1, leaderEpoch: Int32 = 0, records: ByteBuffer? = nil,
            acquiredRecords: [AcquiredRecords] = []
        ) {
            self.partitionIndex = partitionIndex
            self.errorCode = errorCode
            self.errorMessage = errorMessage
            self.acknowledgeErrorCode = acknowledgeErrorCode
            self.acknowledgeErrorMessage = acknowledgeErrorMessage
            self.leaderId = leaderId
            self.leaderEpoch = leaderEpoch
            self.records = records
            self.acquiredRecords = acquiredRecords
        }
    }

    package typealias Topic = KafkaTopicByID<Partition>

    package var throttleTimeMs: Int32
    package var errorCode: KafkaErrorCode
    package var errorMessage: String?
    package var acquisitionLockTimeoutMs: Int32
    package var responses: [Topic]
    package var nodeEndpoints: [KafkaNodeEndpoint]

    package init(
        throttleTimeMs: Int32 = 0, errorCode: KafkaErrorCode = .none, errorMessage: String? = nil,
        acquisitionLockTimeoutMs: Int32 = 0, responses: [Topic] = [], nodeEndpoints: [KafkaNodeEndpoint] = []
    ) {
        self.throttleTimeMs = throttleTimeMs
        self.errorCode = errorCode
        self.errorMessage = errorMessage
        self.acquisitionLockTimeoutMs = acquisitionLockTimeoutMs
        self.responses = responses
        self.nodeEndpoints = nodeEndpoints
    }

    package func encode(version: Int16, into buffer: inout ByteBuffer) {
        buffer.writeKafkaInt32(throttleTimeMs)
        buffer.writeKafkaInt16(errorCode.rawValue)
        buffer.writeKafkaCompactString(errorMessage)
        buffer.writeKafkaInt32(acquisitionLockTimeoutMs)
        FlexibleFields.writeArray(responses, into: &buffer) { buffer, topic in
            FlexibleFields.writeUUID(topic.topicId, into: &buffer)
            FlexibleFields.writeArray(topic.partitions, into: &buffer) { buffer, partition in
                buffer.writeKafkaInt32(partition.partitionIndex)
                buffer.writeKafkaInt16(partition.errorCode.rawValue)
                buffer.writeKafkaCompactString(partition.errorMessage)
                buffer.writeKafkaInt16(partition.acknowledgeErrorCode.rawValue)
                buffer.writeKafkaCompactString(partition.acknowledgeErrorMessage)
                buffer.writeKafkaInt32(partition.leaderId)
                buffer.writeKafkaInt32(partition.leaderEpoch)
                buffer.writeKafkaEmptyTaggedFields()  // CurrentLeader's
                FlexibleFields.writeNullableBytes(partition.records, into: &buffer)
                FlexibleFields.writeArray(partition.acquiredRecords, into: &buffer) { buffer, run in
                    buffer.writeKafkaInt64(run.firstOffset)
                    buffer.writeKafkaInt64(run.lastOffset)
                    buffer.writeKafkaInt16(run.deliveryCount)
                    buffer.writeKafkaEmptyTaggedFields()
                }
                buffer.writeKafkaEmptyTaggedFields()
            }
            buffer.writeKafkaEmptyTaggedFields()
        }
        FlexibleFields.writeArray(nodeEndpoints, into: &buffer) { $1.encode(into: &$0) }
        buffer.writeKafkaEmptyTaggedFields()
    }
}
