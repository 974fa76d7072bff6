import NIOCore

/// Kafka's internal `__consumer_offsets` topic as Sluice serves it: one partition, read-only, holding the latest
/// committed offset of every group, topic and partition as Kafka's group coordinator writes it, so that tools that
/// read lag from the log (Burrow, `kafka-consumer-groups`' internals, scripts) can.
///
/// A record's key is an OffsetCommitKey (version 1: group, topic, partition) and its value an OffsetCommitValue
/// (version 3: offset, leader epoch -1, metadata, commit timestamp), the encodings of Kafka's
/// `group-coordinator` module (`OffsetCommitKey.json`, `OffsetCommitValue.json`); both non-flexible: int16
/// version, then the fields with int16-length strings.
package enum KafkaConsumerOffsets {
    package static let topic = "__consumer_offsets"
    package static let partitionCount: Int32 = 1
    /// The OffsetCommitKey version Kafka 3.x writes for an offset commit.
    package static let keyVersion: Int16 = 1
    /// The OffsetCommitValue version Kafka 3.x writes when the commit has no expiry time.
    package static let valueVersion: Int16 = 3

    package static func key(group: String, topic: String, partition: Int32) -> [UInt8] {
        var buffer = ByteBufferAllocator().buffer(capacity: 10 + group.utf8.count + topic.utf8.count)
        buffer.writeKafkaInt16(keyVersion)
        buffer.writeKafkaString(group)
        buffer.writeKafkaString(topic)
        buffer.writeKafkaInt32(partition)
        return Array(buffer.readableBytesView)
    }

    package static func value(offset: Int64, metadata: String?, commitTimestamp: Int64) -> [UInt8] {
        var buffer = ByteBufferAllocator().buffer(capacity: 24 + (metadata?.utf8.count ?? 0))
        buffer.writeKafkaInt16(valueVersion)
        buffer.writeKafkaInt64(offset)
        buffer.writeKafkaInt32(-1)
        buffer.writeKafkaString(metadata ?? "")
        buffer.writeKafkaInt64(commitTimestamp)
        return Array(buffer.readableBytesView)
    }
}
