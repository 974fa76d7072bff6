import NIOCore
import SluiceCore

/// Metadata request (key 3), v0–12 (Apache Kafka 3.9): in v0 an empty topic list asks for every topic (decoded as
/// `nil`); flexible from v9; from v10 each topic carries an id, and from v12 a topic may be named by its id alone
/// (its name null), kept in `topicIDs`.
package struct KafkaMetadataRequest: Sendable, Hashable {
    /// `nil` asks for every topic.
    package var topics: [String]?
    /// v12+: topics asked for by id alone (name null).
    package var topicIDs: [KafkaUUID]
    /// v4+; true below (older clients always auto-created).
    package var allowAutoTopicCreation: Bool
    /// v8+ (the cluster's, v8–10 only, is read past); Sluice answers "not provided" whatever is asked.
    package var includeTopicAuthorizedOperations: Bool

    package init(
        topics: [String]?, topicIDs: [KafkaUUID] = [], allowAutoTopicCreation: Bool = true,
        includeTopicAuthorizedOperations: Bool = false
    ) {
        self.topics = topics
        self.topicIDs = topicIDs
        self.allowAutoTopicCreation = allowAutoTopicCreation
        self.includeTopicAuthorizedOperations = includeTopicAuthorizedOperations
    }

    static func decode(version: Int16, from buffer: inout ByteBuffer) throws(KafkaDecodeError) -> Self {
        let flexible = version >= 9
        var ids: [KafkaUUID] = []
        if flexible { skipLibrdkafkaPlaceholder(version: version, in: &buffer) }
        var topics = try buffer.readKafkaNullableArray(minElementSize: 1, "topics", flexible: flexible) {
            buffer throws(KafkaDecodeError) -> String? in
            let id = version >= 10 ? try buffer.readKafkaUUID("topic_id") : .zero
            let name =
                version >= 10
                ? try buffer.readKafkaNullableString("topic", flexible: flexible)
                : try buffer.readKafkaString("topic", flexible: flexible)
            try buffer.skipKafkaTaggedFields(flexible: flexible)
            if name == nil {
                guard version >= 12 else { throw .invalid("topic: a null name needs Metadata v12") }
                ids.append(id)
            }
            return name
        }.map { $0.compactMap { $0 } }
        if version == 0, topics?.isEmpty == true { topics = nil }
        var request = Self(topics: topics, topicIDs: ids)
        if version >= 4 { request.allowAutoTopicCreation = try buffer.readKafkaBool("allow_auto_topic_creation") }
        if version >= 8 && version <= 10 { _ = try buffer.readKafkaBool("include_cluster_authorized_operations") }
        if version >= 8 {
            request.includeTopicAuthorizedOperations = try buffer.readKafkaBool("include_topic_authorized_operations")
        }
        try buffer.skipKafkaTaggedFields(flexible: flexible)
        return request
    }

    /// librdkafka (2.x) asks for every topic at a flexible version with a null topic count written as its 4-byte
    /// placeholder, `00 00 00 00`, not the one byte `00` (`rd_kafka_buf_write_arraycnt_pos`, never finalized for
    /// "all topics"); Kafka's broker reads the first byte as the null count and ignores what is left over. Here the
    /// three extra zeros are skipped when the request is exactly that: a null count, three zeros, then the fixed
    /// fields of the version and an empty tagged-field section.
    static func skipLibrdkafkaPlaceholder(version: Int16, in buffer: inout ByteBuffer) {
        let fixedTail = (version <= 10 ? 3 : 2) + 1
        guard buffer.readableBytes == 4 + fixedTail,
            buffer.getBytes(at: buffer.readerIndex, length: 4) == [0, 0, 0, 0]
        else { return }
        buffer.moveReaderIndex(forwardBy: 3)
    }

    func encode(version: Int16, into buffer: inout ByteBuffer) {
        let flexible = version >= 9
        var entries: [(KafkaUUID, String?)]? = topics.map { $0.map { (KafkaUUID.zero, $0) } }
        if version >= 12, !topicIDs.isEmpty { entries = (entries ?? []) + topicIDs.map { ($0, nil) } }
        if version == 0 && entries == nil { entries = [] }
        buffer.writeKafkaNullableArray(entries, flexible: flexible) { buffer, entry in
            if version >= 10 { buffer.writeKafkaUUID(entry.0) }
            buffer.writeKafkaNullableString(entry.1, flexible: flexible)
            buffer.writeKafkaEmptyTaggedFields(flexible: flexible)
        }
        if version >= 4 { buffer.writeKafkaBool(allowAutoTopicCreation) }
        if version >= 8 && version <= 10 { buffer.writeKafkaBool(false) }
        if version >= 8 { buffer.writeKafkaBool(includeTopicAuthorizedOperations) }
        buffer.writeKafkaEmptyTaggedFields(flexible: flexible)
    }
}

/// Metadata response, v0–12. Leader epochs (v7+) are 0, the one epoch of every partition; authorized operations
/// (v8+) are "not provided" (Int32.min); flexible from v9 with no tagged field sent; topic ids from v10, and at v12
/// a topic with an empty name (one asked for by an id no topic has) is answered with a null name.
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
        /// v10+; zero for a topic Sluice does not know.
        package var topicID: KafkaUUID
        package var isInternal: Bool
        package var partitions: [Partition]
        package init(
            errorCode: KafkaErrorCode = .none, name: String, topicID: KafkaUUID = .zero, isInternal: Bool = false,
            partitions: [Partition]
        ) {
            self.errorCode = errorCode
            self.name = name
            self.topicID = topicID
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
        let flexible = version >= 9
        if version >= 3 { buffer.writeKafkaInt32(throttleTimeMs) }
        buffer.writeKafkaArray(brokers, flexible: flexible) { buffer, broker in
            buffer.writeKafkaInt32(broker.nodeId)
            buffer.writeKafkaString(broker.host, flexible: flexible)
            buffer.writeKafkaInt32(broker.port)
            if version >= 1 { buffer.writeKafkaNullableString(broker.rack, flexible: flexible) }
            buffer.writeKafkaEmptyTaggedFields(flexible: flexible)
        }
        if version >= 2 { buffer.writeKafkaNullableString(clusterId, flexible: flexible) }
        if version >= 1 { buffer.writeKafkaInt32(controllerId) }
        buffer.writeKafkaArray(topics, flexible: flexible) { buffer, topic in
            buffer.writeKafkaInt16(topic.errorCode.rawValue)
            if version >= 12 && topic.name.isEmpty {
                buffer.writeKafkaNullableString(nil, flexible: flexible)
            } else {
                buffer.writeKafkaString(topic.name, flexible: flexible)
            }
            if version >= 10 { buffer.writeKafkaUUID(topic.topicID) }
            if version >= 1 { buffer.writeKafkaBool(topic.isInternal) }
            buffer.writeKafkaArray(topic.partitions, flexible: flexible) { buffer, partition in
                buffer.writeKafkaInt16(partition.errorCode.rawValue)
                buffer.writeKafkaInt32(partition.partitionIndex)
                buffer.writeKafkaInt32(partition.leaderId)
                if version >= 7 { buffer.writeKafkaInt32(0) }  // leader epoch
                buffer.writeKafkaInt32Array(partition.replicaNodes, flexible: flexible)
                buffer.writeKafkaInt32Array(partition.isrNodes, flexible: flexible)
                if version >= 5 { buffer.writeKafkaInt32Array(partition.offlineReplicas, flexible: flexible) }
                buffer.writeKafkaEmptyTaggedFields(flexible: flexible)
            }
            if version >= 8 { buffer.writeKafkaInt32(Int32.min) }  // topic authorized operations
            buffer.writeKafkaEmptyTaggedFields(flexible: flexible)
        }
        if version >= 8 && version <= 10 { buffer.writeKafkaInt32(Int32.min) }  // cluster authorized operations
        buffer.writeKafkaEmptyTaggedFields(flexible: flexible)
    }
}
