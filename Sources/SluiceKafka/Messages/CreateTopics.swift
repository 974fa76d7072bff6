import NIOCore

/// CreateTopics request (key 19), v2–4. v4 allows -1 partitions / replication factor for broker defaults.
package struct KafkaCreateTopicsRequest: Sendable, Hashable {
    package struct Assignment: Sendable, Hashable {
        package var partitionIndex: Int32
        package var brokerIds: [Int32]
        package init(partitionIndex: Int32, brokerIds: [Int32]) {
            self.partitionIndex = partitionIndex
            self.brokerIds = brokerIds
        }
    }

    package struct Config: Sendable, Hashable {
        package var name: String
        package var value: String?
        package init(name: String, value: String?) {
            self.name = name
            self.value = value
        }
    }

    package struct Topic: Sendable, Hashable {
        package var name: String
        /// -1 = broker default.
        package var numPartitions: Int32
        /// -1 = broker default.
        package var replicationFactor: Int16
        package var assignments: [Assignment]
        package var configs: [Config]
        package init(
            name: String, numPartitions: Int32, replicationFactor: Int16, assignments: [Assignment] = [],
            configs: [Config] = []
        ) {
            self.name = name
            self.numPartitions = numPartitions
            self.replicationFactor = replicationFactor
            self.assignments = assignments
            self.configs = configs
        }
    }

    package var topics: [Topic]
    package var timeoutMs: Int32
    package var validateOnly: Bool

    package init(topics: [Topic], timeoutMs: Int32, validateOnly: Bool = false) {
        self.topics = topics
        self.timeoutMs = timeoutMs
        self.validateOnly = validateOnly
    }

    static func decode(version: Int16, from buffer: inout ByteBuffer) throws(KafkaDecodeError) -> Self {
        let topics = try buffer.readKafkaArray(minElementSize: 16, "topics") { buffer throws(KafkaDecodeError) in
            let name = try buffer.readKafkaString("name")
            let partitions = try buffer.readKafkaInt32("num_partitions")
            let replication = try buffer.readKafkaInt16("replication_factor")
            let assignments = try buffer.readKafkaArray(minElementSize: 8, "assignments") {
                buffer throws(KafkaDecodeError) in
                Assignment(
                    partitionIndex: try buffer.readKafkaInt32("partition_index"),
                    brokerIds: try buffer.readKafkaInt32Array("broker_ids"))
            }
            let configs = try buffer.readKafkaArray(minElementSize: 4, "configs") { buffer throws(KafkaDecodeError) in
                Config(name: try buffer.readKafkaString("name"), value: try buffer.readKafkaNullableString("value"))
            }
            return Topic(
                name: name, numPartitions: partitions, replicationFactor: replication, assignments: assignments,
                configs: configs)
        }
        let timeout = try buffer.readKafkaInt32("timeout_ms")
        return Self(topics: topics, timeoutMs: timeout, validateOnly: try buffer.readKafkaBool("validate_only"))
    }

    func encode(version: Int16, into buffer: inout ByteBuffer) {
        buffer.writeKafkaArray(topics) { buffer, topic in
            buffer.writeKafkaString(topic.name)
            buffer.writeKafkaInt32(topic.numPartitions)
            buffer.writeKafkaInt16(topic.replicationFactor)
            buffer.writeKafkaArray(topic.assignments) { buffer, assignment in
                buffer.writeKafkaInt32(assignment.partitionIndex)
                buffer.writeKafkaInt32Array(assignment.brokerIds)
            }
            buffer.writeKafkaArray(topic.configs) { buffer, config in
                buffer.writeKafkaString(config.name)
                buffer.writeKafkaNullableString(config.value)
            }
        }
        buffer.writeKafkaInt32(timeoutMs)
        buffer.writeKafkaBool(validateOnly)
    }
}

/// The per-topic result of CreateTopics (v2–4) and DeleteTopics (v1–3, which has no error message).
package struct KafkaTopicResult: Sendable, Hashable {
    package var name: String
    package var errorCode: KafkaErrorCode
    /// CreateTopics only.
    package var errorMessage: String?
    package init(name: String, errorCode: KafkaErrorCode = .none, errorMessage: String? = nil) {
        self.name = name
        self.errorCode = errorCode
        self.errorMessage = errorMessage
    }
}

/// CreateTopics response, v2–4.
package struct KafkaCreateTopicsResponse: KafkaResponse, Hashable {
    package var throttleTimeMs: Int32
    package var topics: [KafkaTopicResult]

    package init(throttleTimeMs: Int32 = 0, topics: [KafkaTopicResult]) {
        self.throttleTimeMs = throttleTimeMs
        self.topics = topics
    }

    package func encode(version: Int16, into buffer: inout ByteBuffer) {
        buffer.writeKafkaInt32(throttleTimeMs)
        buffer.writeKafkaArray(topics) { buffer, topic in
            buffer.writeKafkaString(topic.name)
            buffer.writeKafkaInt16(topic.errorCode.rawValue)
            buffer.writeKafkaNullableString(topic.errorMessage)
        }
    }
}
