import SluiceKafka
import Testing

@Suite struct ConsumerProtocolTests {
    @Test func theEmptyAssignmentDecodesAsNoPartitions() throws {
        #expect(try KafkaConsumerProtocol.assignedPartitions(KafkaConsumerProtocol.emptyAssignment).isEmpty)
    }

    /// librdkafka's v3 subscription: topics, null user data, owned partitions, generation, rack.
    @Test func subscriptionTopicsOfAV3Subscription() throws {
        let bytes: [UInt8] =
            [0, 3, 0, 0, 0, 2, 0, 1, 0x61, 0, 2, 0x62, 0x63]
            + [0xFF, 0xFF, 0xFF, 0xFF] + [0, 0, 0, 0] + [0xFF, 0xFF, 0xFF, 0xFF] + [0xFF, 0xFF]
        let (version, topics) = try KafkaConsumerProtocol.subscriptionTopics(bytes)
        #expect(version == 3 && topics == ["a", "bc"])
    }

    @Test func assignmentTopicsAndPartitions() throws {
        let bytes: [UInt8] = [
            0, 0, 0, 0, 0, 1, 0, 4, 0x64, 0x65, 0x6D, 0x6F, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 2, 0xFF, 0xFF, 0xFF, 0xFF,
        ]
        let assigned = try KafkaConsumerProtocol.assignedPartitions(bytes)
        #expect(assigned.count == 1 && assigned[0].topic == "demo" && assigned[0].partitions == [0, 2])
        #expect(throws: KafkaDecodeError.self) { try KafkaConsumerProtocol.assignedPartitions([]) }
        #expect(throws: KafkaDecodeError.self) { try KafkaConsumerProtocol.assignedPartitions(Array(bytes[0..<12])) }
    }

    /// What the Kafka adapter relies on to describe a group: anything short or hostile throws, never traps.
    @Test func truncatedOrHostileBytesThrow() throws {
        let assignment: [UInt8] = [
            0, 0, 0, 0, 0, 1, 0, 1, 0x74, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 3, 0xff, 0xff, 0xff, 0xff,
        ]
        let assigned = try KafkaConsumerProtocol.assignedPartitions(assignment)
        #expect(assigned.count == 1 && assigned[0].topic == "t" && assigned[0].partitions == [0, 3])
        // Every cut before the last partition; the user data after it is not read.
        for cut in 0..<21 {
            #expect(throws: KafkaDecodeError.self) {
                try KafkaConsumerProtocol.assignedPartitions(Array(assignment[..<cut]))
            }
        }
        #expect(throws: KafkaDecodeError.self) {
            try KafkaConsumerProtocol.assignedPartitions([0, 0, 0x7f, 0xff, 0xff, 0xff])
        }
        let subscription: [UInt8] = [0, 0, 0, 0, 0, 1, 0, 1, 0x74, 0xff, 0xff, 0xff, 0xff]
        #expect(try KafkaConsumerProtocol.subscriptionTopics(subscription).topics == ["t"])
        for cut in 0..<9 {
            #expect(throws: KafkaDecodeError.self) {
                try KafkaConsumerProtocol.subscriptionTopics(Array(subscription[..<cut]))
            }
        }
        #expect(throws: KafkaDecodeError.self) {
            try KafkaConsumerProtocol.subscriptionTopics([0, 0, 0x7f, 0xff, 0xff, 0xff])
        }
    }
}
