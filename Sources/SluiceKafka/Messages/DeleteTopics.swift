import NIOCore

/// DeleteTopics request (key 20), v1–3.
package struct KafkaDeleteTopicsRequest: Sendable, Hashable {
    package var topicNames: [String]
    package var timeoutMs: Int32

    package init(topicNames: [String], timeoutMs: Int32) {
        self.topicNames = topicNames
        self.timeoutMs = timeoutMs
    }

    static func decode(version: Int16, from buffer: inout ByteBuffer) throws(KafkaDecodeError) -> Self {
        let names = try buffer.readKafkaArray(minElementSize: 2, "topic_names") { buffer throws(KafkaDecodeError) in
            try buffer.readKafkaString("topic")
        }
        return Self(topicNames: names, timeoutMs: try buffer.readKafkaInt32("timeout_ms"))
    }

    func encode(version: Int16, into buffer: inout ByteBuffer) {
        buffer.writeKafkaArray(topicNames) { $0.writeKafkaString($1) }
        buffer.writeKafkaInt32(timeoutMs)
    }
}

/// DeleteTopics response, v1–3: name and error code per topic (`errorMessage` is not sent).
package struct KafkaDeleteTopicsResponse: KafkaResponse, Hashable {
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
        }
    }
}
