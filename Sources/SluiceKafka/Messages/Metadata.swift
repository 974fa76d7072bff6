import NIOCore
import SluiceCore

/// Metadata request (key 3), v1–12; flexible from v9, topic ids from v10 (a topic may be asked for by id from v12).
package struct KafkaMetadataRequest: Sendable, Hashable {
    /// `nil` asks for every topic.
    package var topics: [String]?
    /// v10+: topics asked for by id alone (a null name). Kept apart from `topics`: the answer lists them after the
    /// named ones.
    package var topicIDs: [TopicID]
    /// v4+; true below (older clients always auto-created).
    package var allowAutoTopicCreation: Bool
    /// v8+: asked for, answered with Kafka's "not provided" value.
    package var includeClusterAuthorizedOperations: Bool
    package var includeTopicAuthorizedOperations: Bool

    package init(
        topics: [String]?, topicIDs: [TopicID] = [], allowAutoTopicCreation: Bool = true,
        includeClusterAuthorizedOperations: Bool = false, includeTopicAuthorizedOperations: Bool = false
    ) {
        self.topics = topics
        self.topicIDs = topicIDs
        self.allowAutoTopicCreation = allowAutoTopicCreation
        self.includeClusterAuthorizedOperations = includeClusterAuthorizedOperations
        self.includeTopicAuthorizedOperations = includeTopicAuthorizedOperations
    }

    static func decode(version: Int16, from buffer: inout ByteBuffer) throws(KafkaDecodeError) -> Self {
        var request = Self(topics: nil)
        if version >= 9 {
            let entries = try FlexibleFields.nullableArray(&buffer, minElementSize: 2, "topics") {
                buffer throws(KafkaDecodeError) -> (TopicID, String?) in
                let id = version >= 10 ? try FlexibleFields.uuid(&buffer, "topic_id") : TopicID.zero
                let name =
                    version >= 10
                    ? try buffer.readKafkaCompactNullableString("name") : try buffer.readKafkaCompactString("name")
                try buffer.skipKafkaTaggedFields()
                return (id, name)
            }
            if let entries {
                request.topics = entries.compactMap(\.1)
                request.topicIDs = entries.filter { $0.1 == nil }.map(\.0)
            } else {
                buffer.skipLibrdkafkaCountPlaceholder(following: version <= 10 ? 4 : 3)
            }
        } else {
            request.topics = try buffer.readKafkaNullableArray(minElementSize: 2, "topics") {
                buffer throws(KafkaDecodeError) in try buffer.readKafkaString("topic")
            }
        }
        if version >= 4 { request.allowAutoTopicCreation = try buffer.readKafkaBool("allow_auto_topic_creation") }
        if version >= 8 {
            if version <= 10 {
                request.includeClusterAuthorizedOperations = try buffer.readKafkaBool(
                    "include_cluster_authorized_operations")
            }
            request.includeTopicAuthorizedOperations = try buffer.readKafkaBool("include_topic_authorized_operations")
        }
        if version >= 9 { try buffer.skipKafkaTaggedFields() }
        return request
    }

    func encode(version: Int16, into buffer: inout ByteBuffer) {
        if version >= 9 {
            let entries: [(TopicID, String?)]? =
                topics.map { names in
                    names.map { (TopicID.zero, $0) } + (version >= 10 ? topicIDs.map { ($0, nil) } : [])
                }
            FlexibleFields.writeArray(entries, into: &buffer) { buffer, entry in
                if version >= 10 { FlexibleFields.writeUUID(entry.0, into: &buffer) }
                buffer.writeKafkaCompactString(entry.1)
                buffer.writeKafkaEmptyTaggedFields()
            }
        } else {
            buffer.writeKafkaNullableArray(topics) { $0.writeKafkaString($1) }
        }
        if version >= 4 { buffer.writeKafkaBool(allowAutoTopicCreation) }
        if version >= 8 {
            if version <= 10 { buffer.writeKafkaBool(includeClusterAuthorizedOperations) }
            buffer.writeKafkaBool(includeTopicAuthorizedOperations)
        }
        if version >= 9 { buffer.writeKafkaEmptyTaggedFields() }
    }
}

/// Metadata response, v1–12.
package struct KafkaMetadataResponse: KafkaResponse, Hashable {
    package struct Broker: Sendable, Hashable {
        package var nodeId: Int32
        package var host: String
        package var port: Int32
        package var rack: String?
        package init(nodeId: Int32, host: String, port: Int32, rack: String? = nil) {
            self.nodeId = nodeId
            self.host = host
            self.port = port
            self.rack = rack
        }
    }

    package struct Partition: Sendable, Hashable {
        package var errorCode: KafkaErrorCode
        package var partitionIndex: Int32
        package var leaderId: Int32
        package var replicaNodes: [Int32]
        package var isrNodes: [Int32]
        /// v5+.
        package var offlineReplicas: [Int32]
        package init(
            errorCode: KafkaErrorCode = .none, partitionIndex: Int32, leaderId: Int32, replicaNodes: [Int32],
            isrNodes: [Int32], offlineReplicas: [Int32] = []
        ) {
            self.errorCode = errorCode
            self.partitionIndex = partitionIndex
            self.leaderId = leaderId
            self.replicaNodes = replicaNodes
            self.isrNodes = isrNodes
            self.offlineReplicas = offlineReplicas
        }
    }

    package struct Topic: Sendable, Hashable {
        package var errorCode: KafkaErrorCode
        /// Empty for a topic asked for by an id no topic has (written null from v12).
        package var name: String
        /// v10+; zero when unknown.
        package var topicId: TopicID
        package var isInternal: Bool
        package var partitions: [Partition]
        package init(
            errorCode: KafkaErrorCode = .none, name: String, topicId: TopicID = .zero, isInternal: Bool = false,
            partitions: [Partition]
        ) {
            self.errorCode = errorCode
            self.name = name
            self.topicId = topicId
            self.isInternal = isInternal
            self.partitions = partitions
        }
    }

    /// v3+.
    package var throttleTimeMs: Int32
    package var brokers: [Broker]
    /// v2+.
    package var clusterId: String?
    /// Must be this broker's id, never -1 (KAFKA-COMPAT.md §4.4).
    package var controllerId: Int32
    package var topics: [Topic]

    package init(
        throttleTimeMs: Int32 = 0, brokers: [Broker], clusterId: String?, controllerId: Int32, topics: [Topic]
    ) {
        self.throttleTimeMs = throttleTimeMs
        self.brokers = brokers
        self.clusterId = clusterId
        self.controllerId = controllerId
        self.topics = topics
    }

    package func encode(version: Int16, into buffer: inout ByteBuffer) {
        guard version >= 9 else { return encodeFixed(version: version, into: &buffer) }
        // Flexible (v9+): compact strings and arrays, tagged fields closing every structure.
        buffer.writeKafkaInt32(throttleTimeMs)
        FlexibleFields.writeArray(brokers, into: &buffer) { buffer, broker in
            buffer.writeKafkaInt32(broker.nodeId)
            buffer.writeKafkaCompactString(broker.host)
            buffer.writeKafkaInt32(broker.port)
            buffer.writeKafkaCompactString(broker.rack)
            buffer.writeKafkaEmptyTaggedFields()
        }
        buffer.writeKafkaCompactString(clusterId)
        buffer.writeKafkaInt32(controllerId)
        FlexibleFields.writeArray(topics, into: &buffer) { buffer, topic in
            buffer.writeKafkaInt16(topic.errorCode.rawValue)
            buffer.writeKafkaCompactString(version >= 12 && topic.name.isEmpty ? nil : topic.name)
            if version >= 10 { FlexibleFields.writeUUID(topic.topicId, into: &buffer) }
            buffer.writeKafkaBool(topic.isInternal)
            FlexibleFields.writeArray(topic.partitions, into: &buffer) { buffer, partition in
                buffer.writeKafkaInt16(partition.errorCode.rawValue)
                buffer.writeKafkaInt32(partition.partitionIndex)
                buffer.writeKafkaInt32(partition.leaderId)
                buffer.writeKafkaInt32(0)  // leader epoch: one broker, never re-elected
                FlexibleFields.writeInt32Array(partition.replicaNodes, into: &buffer)
                FlexibleFields.writeInt32Array(partition.isrNodes, into: &buffer)
                FlexibleFields.writeInt32Array(partition.offlineReplicas, into: &buffer)
                buffer.writeKafkaEmptyTaggedFields()
            }
            buffer.writeKafkaInt32(Int32.min)  // topic authorized operations: not provided
            buffer.writeKafkaEmptyTaggedFields()
        }
        if version <= 10 { buffer.writeKafkaInt32(Int32.min) }  // cluster authorized operations
        buffer.writeKafkaEmptyTaggedFields()
    }

    private func encodeFixed(version: Int16, into buffer: inout ByteBuffer) {
        if version >= 3 { buffer.writeKafkaInt32(throttleTimeMs) }
        buffer.writeKafkaArray(brokers) { buffer, broker in
            buffer.writeKafkaInt32(broker.nodeId)
            buffer.writeKafkaString(broker.host)
            buffer.writeKafkaInt32(broker.port)
            if version >= 1 { buffer.writeKafkaNullableString(broker.rack) }
        }
        if version >= 2 { buffer.writeKafkaNullableString(clusterId) }
        if version >= 1 { buffer.writeKafkaInt32(controllerId) }
        buffer.writeKafkaArray(topics) { buffer, topic in
            buffer.writeKafkaInt16(topic.errorCode.rawValue)
            buffer.writeKafkaString(topic.name)
            if version >= 1 { buffer.writeKafkaBool(topic.isInternal) }
            buffer.writeKafkaArray(topic.partitions) { buffer, partition in
                buffer.writeKafkaInt16(partition.errorCode.rawValue)
                buffer.writeKafkaInt32(partition.partitionIndex)
                buffer.writeKafkaInt32(partition.leaderId)
                if version >= 7 { buffer.writeKafkaInt32(0) }  // leader epoch
                buffer.writeKafkaInt32Array(partition.replicaNodes)
                buffer.writeKafkaInt32Array(partition.isrNodes)
                if version >= 5 { buffer.writeKafkaInt32Array(partition.offlineReplicas) }
            }
            if version >= 8 { buffer.writeKafkaInt32(Int32.min) }  // topic authorized operations
        }
        if version >= 8 { buffer.writeKafkaInt32(Int32.min) }  // cluster authorized operations
    }
}

extension ByteBuffer {
    /// librdkafka asks for every topic at Metadata v9+ with its four-byte placeholder for the topic count left
    /// unshrunk (`00 00 00 00`): the first byte reads as a null array and three zero bytes follow before the real
    /// fields. Apache Kafka reads on and ignores the bytes left at the end; Sluice skips the three when exactly
    /// the fields that follow remain after them (`following`: the request's smallest remainder).
    mutating func skipLibrdkafkaCountPlaceholder(following: Int) {
        guard readableBytes == 3 + following, getBytes(at: readerIndex, length: 3) == [0, 0, 0] else { return }
        moveReaderIndex(forwardBy: 3)
    }
}
