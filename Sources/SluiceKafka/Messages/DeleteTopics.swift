import NIOCore

/// DeleteTopics request (key 20), v0–6; flexible from v4. v6 names each topic by name or by id (KIP-516); Sluice
/// topics have no id, so one named by id alone is answered UNKNOWN_TOPIC_ID.
package struct KafkaDeleteTopicsRequest: Sendable, Hashable {
    package struct Topic: Sendable, Hashable {
        /// Nil (v6+) when the topic is named by id.
        package var name: String?
        /// v6+; all zeros when the topic is named.
        package var topicId: KafkaUUID
        package init(name: String?, topicId: KafkaUUID = .zero) {
            self.name = name
            self.topicId = topicId
        }
    }

    package var topics: [Topic]
    package var timeoutMs: Int32

    package init(topics: [Topic], timeoutMs: Int32) {
        self.topics = topics
        self.timeoutMs = timeoutMs
    }

    package init(topicNames: [String], timeoutMs: Int32) {
        self.init(topics: topicNames.map { Topic(name: $0) }, timeoutMs: timeoutMs)
    }

    static func decode(version: Int16, from buffer: inout ByteBuffer) throws(KafkaDecodeError) -> Self {
        let flexible = KafkaFlexibleVersions.isFlexible(.deleteTopics, version)
        let topics: [Topic]
        if version >= 6 {
            topics = try buffer.readKafkaArray(minElementSize: 18, "topics", flexible: flexible) {
                buffer throws(KafkaDecodeError) in
                let topic = Topic(
                    name: try buffer.readKafkaNullableString("name", flexible: flexible),
                    topicId: try buffer.readKafkaUUID("topic_id"))
                try buffer.skipKafkaTaggedFields(flexible: flexible)
                return topic
            }
        } else {
            topics = try buffer.readKafkaStringArray("topic_names", flexible: flexible).map { Topic(name: $0) }
        }
        let timeout = try buffer.readKafkaInt32("timeout_ms")
        try buffer.skipKafkaTaggedFields(flexible: flexible)
        return Self(topics: topics, timeoutMs: timeout)
    }

    func encode(version: Int16, into buffer: inout ByteBuffer) {
        let flexible = KafkaFlexibleVersions.isFlexible(.deleteTopics, version)
        if version >= 6 {
            buffer.writeKafkaArray(topics, flexible: flexible) { buffer, topic in
                buffer.writeKafkaNullableString(topic.name, flexible: flexible)
                buffer.writeKafkaUUID(topic.topicId)
                buffer.writeKafkaEmptyTaggedFields(flexible: flexible)
            }
        } else {
            buffer.writeKafkaStringArray(topics.map { $0.name ?? "" }, flexible: flexible)
        }
        buffer.writeKafkaInt32(timeoutMs)
        buffer.writeKafkaEmptyTaggedFields(flexible: flexible)
    }
}

/// DeleteTopics response, v0–6: name and error code per topic, the error message from v5, the (all-zero) topic id
/// from v6.
package struct KafkaDeleteTopicsResponse: KafkaResponse, Hashable {
    /// v1+.
    package var throttleTimeMs: Int32
    package var topics: [KafkaTopicResult]

    package init(throttleTimeMs: Int32 = 0, topics: [KafkaTopicResult]) {
        self.throttleTimeMs = throttleTimeMs
        self.topics = topics
    }

    package func encode(version: Int16, into buffer: inout ByteBuffer) {
        let flexible = KafkaFlexibleVersions.isFlexible(.deleteTopics, version)
        if version >= 1 { buffer.writeKafkaInt32(throttleTimeMs) }
        buffer.writeKafkaArray(topics, flexible: flexible) { buffer, topic in
            if version >= 6 {
                buffer.writeKafkaNullableString(topic.name, flexible: flexible)
                buffer.writeKafkaUUID(.zero)
            } else {
                buffer.writeKafkaString(topic.name ?? "", flexible: flexible)
            }
            buffer.writeKafkaInt16(topic.errorCode.rawValue)
            if version >= 5 { buffer.writeKafkaNullableString(topic.errorMessage, flexible: flexible) }
            buffer.writeKafkaEmptyTaggedFields(flexible: flexible)
        }
        buffer.writeKafkaEmptyTaggedFields(flexible: flexible)
    }
}
