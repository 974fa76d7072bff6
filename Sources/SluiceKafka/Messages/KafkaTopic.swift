import NIOCore

/// A topic's share of a request or response: its name and its partitions' entries, the shape most Kafka messages
/// repeat (`[name, [partition...]]`).
package struct KafkaTopic<Partition: Sendable & Hashable>: Sendable, Hashable {
    package var name: String
    package var partitions: [Partition]

    package init(name: String, partitions: [Partition]) {
        self.name = name
        self.partitions = partitions
    }
}

extension Array {
    /// Adds `partition` to the last topic when it is `topic`, else a new topic: builds a response's per-topic list
    /// from partitions that arrive grouped by topic, in the request's order.
    package mutating func append<Partition>(_ partition: Partition, topic: String)
    where Element == KafkaTopic<Partition> {
        if let last = indices.last, self[last].name == topic {
            self[last].partitions.append(partition)
        } else {
            append(KafkaTopic(name: topic, partitions: [partition]))
        }
    }
}

extension ByteBuffer {
    /// Writes `[name, [partition...]]` for each topic, each partition by `partition`.
    mutating func writeKafkaTopics<Partition>(
        _ topics: [KafkaTopic<Partition>], _ partition: (inout ByteBuffer, Partition) -> Void
    ) {
        writeKafkaArray(topics) { buffer, topic in
            buffer.writeKafkaString(topic.name)
            buffer.writeKafkaArray(topic.partitions, partition)
        }
    }

    /// The same, flexible or not: when flexible each partition and each topic ends with its (empty) tagged fields.
    mutating func writeKafkaTopics<Partition>(
        _ topics: [KafkaTopic<Partition>], flexible: Bool, _ partition: (inout ByteBuffer, Partition) -> Void
    ) {
        writeKafkaArray(topics, flexible: flexible) { buffer, topic in
            buffer.writeKafkaString(topic.name, flexible: flexible)
            buffer.writeKafkaArray(topic.partitions, flexible: flexible) { buffer, entry in
                partition(&buffer, entry)
                buffer.writeKafkaEmptyTaggedFields(flexible: flexible)
            }
            buffer.writeKafkaEmptyTaggedFields(flexible: flexible)
        }
    }
}
