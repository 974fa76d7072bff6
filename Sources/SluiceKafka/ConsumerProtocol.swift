import NIOCore

/// The few pieces of the consumer embedded protocol Sluice reads or writes: the Kafka adapter reads subscriptions and
/// assignments so that describing a group can show topics and partitions, and answers the empty assignment. The
/// broker keeps the bytes opaque.
package enum KafkaConsumerProtocol {
    /// A valid ConsumerProtocolAssignment v0 with no partitions and null user data, for a member the leader
    /// left out (never answer SyncGroup success with zero bytes; kafka-python fails on them).
    package static let emptyAssignment: [UInt8] = [0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF]

    /// The version and topics of a ConsumerProtocolSubscription (any version; later fields are ignored).
    package static func subscriptionTopics(_ bytes: [UInt8]) throws(KafkaDecodeError) -> (
        version: Int16, topics: [String]
    ) {
        var buffer = ByteBuffer(bytes: bytes)
        let version = try buffer.readKafkaInt16("version")
        let topics = try buffer.readKafkaArray(minElementSize: 2, "topics") { buffer throws(KafkaDecodeError) in
            try buffer.readKafkaString("topic")
        }
        return (version, topics)
    }

    /// The topic → partitions of a ConsumerProtocolAssignment (any version; user data is ignored), in wire order.
    package static func assignedPartitions(_ bytes: [UInt8]) throws(KafkaDecodeError) -> [(
        topic: String, partitions: [Int32]
    )] {
        var buffer = ByteBuffer(bytes: bytes)
        _ = try buffer.readKafkaInt16("version")
        return try buffer.readKafkaArray(minElementSize: 6, "assigned_partitions") { buffer throws(KafkaDecodeError) in
            (try buffer.readKafkaString("topic"), try buffer.readKafkaInt32Array("partitions"))
        }
    }
}
