import NIOCore

/// CreateTopics request (key 19), v0–7; flexible from v5. v4+ allow -1 partitions / replication factor for broker
/// defaults; v0 has no `validateOnly`.
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
    /// v1+.
    package var validateOnly: Bool

    package init(topics: [Topic], timeoutMs: Int32, validateOnly: Bool = false) {
        self.topics = topics
        self.timeoutMs = timeoutMs
        self.validateOnly = validateOnly
    }

    static func decode(version: Int16, from buffer: inout ByteBuffer) throws(KafkaDecodeError) -> Self {
        let flexible = KafkaFlexibleVersions.isFlexible(.createTopics, version)
        let topics = try buffer.readKafkaArray(minElementSize: flexible ? 10 : 16, "topics", flexible: flexible) {
            buffer throws(KafkaDecodeError) in
            let name = try buffer.readKafkaString("name", flexible: flexible)
            let partitions = try buffer.readKafkaInt32("num_partitions")
            let replication = try buffer.readKafkaInt16("replication_factor")
            let assignments = try buffer.readKafkaArray(
                minElementSize: flexible ? 6 : 8, "assignments", flexible: flexible
            ) { buffer throws(KafkaDecodeError) in
                let assignment = Assignment(
                    partitionIndex: try buffer.readKafkaInt32("partition_index"),
                    brokerIds: try buffer.readKafkaInt32Array("broker_ids", flexible: flexible))
                try buffer.skipKafkaTaggedFields(flexible: flexible)
                return assignment
            }
            let configs = try buffer.readKafkaArray(minElementSize: flexible ? 3 : 4, "configs", flexible: flexible) {
                buffer throws(KafkaDecodeError) in
                let config = Config(
                    name: try buffer.readKafkaString("name", flexible: flexible),
                    value: try buffer.readKafkaNullableString("value", flexible: flexible))
                try buffer.skipKafkaTaggedFields(flexible: flexible)
                return config
            }
            try buffer.skipKafkaTaggedFields(flexible: flexible)
            return Topic(
                name: name, numPartitions: partitions, replicationFactor: replication, assignments: assignments,
                configs: configs)
        }
        let timeout = try buffer.readKafkaInt32("timeout_ms")
        let validateOnly = version >= 1 ? try buffer.readKafkaBool("validate_only") : false
        try buffer.skipKafkaTaggedFields(flexible: flexible)
        return Self(topics: topics, timeoutMs: timeout, validateOnly: validateOnly)
    }

    func encode(version: Int16, into buffer: inout ByteBuffer) {
        let flexible = KafkaFlexibleVersions.isFlexible(.createTopics, version)
        buffer.writeKafkaArray(topics, flexible: flexible) { buffer, topic in
            buffer.writeKafkaString(topic.name, flexible: flexible)
            buffer.writeKafkaInt32(topic.numPartitions)
            buffer.writeKafkaInt16(topic.replicationFactor)
            buffer.writeKafkaArray(topic.assignments, flexible: flexible) { buffer, assignment in
                buffer.writeKafkaInt32(assignment.partitionIndex)
                buffer.writeKafkaInt32Array(assignment.brokerIds, flexible: flexible)
                buffer.writeKafkaEmptyTaggedFields(flexible: flexible)
            }
            buffer.writeKafkaArray(topic.configs, flexible: flexible) { buffer, config in
                buffer.writeKafkaString(config.name, flexible: flexible)
                buffer.writeKafkaNullableString(config.value, flexible: flexible)
                buffer.writeKafkaEmptyTaggedFields(flexible: flexible)
            }
            buffer.writeKafkaEmptyTaggedFields(flexible: flexible)
        }
        buffer.writeKafkaInt32(timeoutMs)
        if version >= 1 { buffer.writeKafkaBool(validateOnly) }
        buffer.writeKafkaEmptyTaggedFields(flexible: flexible)
    }
}

/// The per-topic result of CreateTopics (v0–7) and DeleteTopics (v0–6).
package struct KafkaTopicResult: Sendable, Hashable {
    /// Nil only for a DeleteTopics v6+ entry that named its topic by id alone.
    package var name: String?
    package var errorCode: KafkaErrorCode
    /// CreateTopics v1+, DeleteTopics v5+.
    package var errorMessage: String?
    /// CreateTopics v5+: the topic as created (-1 on error).
    package var numPartitions: Int32
    package var replicationFactor: Int16

    package init(
        name: String?, errorCode: KafkaErrorCode = .none, errorMessage: String? = nil, numPartitions: Int32 = -1,
        replicationFactor: Int16 = -1
    ) {
        self.name = name
        self.errorCode = errorCode
        self.errorMessage = errorMessage
        self.numPartitions = numPartitions
        self.replicationFactor = replicationFactor
    }
}

/// CreateTopics response, v0–7. v7's topic id is all zeros (Sluice topics have no id); v5's configs are an empty
/// list on success and null on error.
package struct KafkaCreateTopicsResponse: KafkaResponse, Hashable {
    /// v2+.
    package var throttleTimeMs: Int32
    package var topics: [KafkaTopicResult]

    package init(throttleTimeMs: Int32 = 0, topics: [KafkaTopicResult]) {
        self.throttleTimeMs = throttleTimeMs
        self.topics = topics
    }

    package func encode(version: Int16, into buffer: inout ByteBuffer) {
        let flexible = KafkaFlexibleVersions.isFlexible(.createTopics, version)
        if version >= 2 { buffer.writeKafkaInt32(throttleTimeMs) }
        buffer.writeKafkaArray(topics, flexible: flexible) { buffer, topic in
            buffer.writeKafkaString(topic.name ?? "", flexible: flexible)
            if version >= 7 { buffer.writeKafkaUUID(.zero) }
            buffer.writeKafkaInt16(topic.errorCode.rawValue)
            if version >= 1 { buffer.writeKafkaNullableString(topic.errorMessage, flexible: flexible) }
            if version >= 5 {
                buffer.writeKafkaInt32(topic.numPartitions)
                buffer.writeKafkaInt16(topic.replicationFactor)
                buffer.writeKafkaCompactArrayCount(topic.errorCode == .none ? 0 : nil)
            }
            buffer.writeKafkaEmptyTaggedFields(flexible: flexible)
        }
        buffer.writeKafkaEmptyTaggedFields(flexible: flexible)
    }
}
