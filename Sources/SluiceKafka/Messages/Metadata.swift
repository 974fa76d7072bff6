import NIOCore

/// Metadata request (key 3), v1–6.
package struct KafkaMetadataRequest: Sendable, Hashable {
    /// `nil` asks for every topic.
    package var topics: [String]?
    /// v4+; true below (older clients always auto-created).
    package var allowAutoTopicCreation: Bool

    package init(topics: [String]?, allowAutoTopicCreation: Bool = true) {
        self.topics = topics
        self.allowAutoTopicCreation = allowAutoTopicCreation
    }

    static func decode(version: Int16, from buffer: inout ByteBuffer) throws(KafkaDecodeError) -> Self {
        let topics = try buffer.readKafkaNullableArray(minElementSize: 2, "topics") { buffer throws(KafkaDecodeError) in
            try buffer.readKafkaString("topic")
        }
        let allow = version >= 4 ? try buffer.readKafkaBool("allow_auto_topic_creation") : true
        return Self(topics: topics, allowAutoTopicCreation: allow)
    }

    func encode(version: Int16, into buffer: inout ByteBuffer) {
        buffer.writeKafkaNullableArray(topics) { $0.writeKafkaString($1) }
        if version >= 4 { buffer.writeKafkaBool(allowAutoTopicCreation) }
    }
}

/// Metadata response, v1–6.
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
        package var name: String
        package var isInternal: Bool
        package var partitions: [Partition]
        package init(errorCode: KafkaErrorCode = .none, name: String, isInternal: Bool = false, partitions: [Partition])
        {
            self.errorCode = errorCode
            self.name = name
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
                buffer.writeKafkaInt32Array(partition.replicaNodes)
                buffer.writeKafkaInt32Array(partition.isrNodes)
                if version >= 5 { buffer.writeKafkaInt32Array(partition.offlineReplicas) }
            }
        }
    }
}
