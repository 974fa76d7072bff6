import NIOCore
import Testing

@testable import SluiceKafka

/// Golden bytes of the consumer protocol's messages (KIP-848, Kafka 3.9's v0 schemas) and of the
/// `__consumer_offsets` records (OffsetCommitKey v1, OffsetCommitValue v3), written out by hand from the schemas.
@Suite struct ConsumerProtocolGoldenTests {
    func bytes(_ response: some KafkaResponse, version: Int16 = 0) -> [UInt8] {
        var buffer = ByteBuffer()
        response.encode(version: version, into: &buffer)
        return Array(buffer.readableBytesView)
    }

    /// What librdkafka sends to join: no member id, epoch 0, nulls for what it does not use, its subscription.
    @Test func heartbeatJoinRequestDecodes() throws {
        let body: [UInt8] =
            [0x02, 0x67]  // group "g"
            + [0x01]  // member id ""
            + [0, 0, 0, 0]  // epoch 0
            + [0x00, 0x00]  // instance id, rack id: null
            + [0x00, 0x04, 0x93, 0xE0]  // rebalance timeout 300000
            + [0x02, 0x02, 0x74]  // topics ["t"]
            + [0x00]  // server assignor: null
            + [0x01]  // owned partitions: empty
            + [0x00]  // tagged fields
        var buffer = ByteBuffer(bytes: body)
        let request = try KafkaConsumerGroupHeartbeatRequest.decode(version: 0, from: &buffer)
        #expect(buffer.readableBytes == 0)
        #expect(
            request
                == KafkaConsumerGroupHeartbeatRequest(
                    groupId: "g", memberId: "", memberEpoch: 0, rebalanceTimeoutMs: 300_000,
                    subscribedTopicNames: ["t"], topicPartitions: []))
        var again = ByteBuffer()
        request.encode(version: 0, into: &again)
        #expect(Array(again.readableBytesView) == body)
    }

    /// Version 1 (Kafka 4.0, what librdkafka 2.16 sends): the member names itself, and a regex follows the topics.
    @Test func heartbeatV1JoinRequestDecodes() throws {
        let body: [UInt8] =
            [0x02, 0x67, 0x03, 0x41, 0x42, 0, 0, 0, 0, 0x00, 0x00, 0x00, 0x04, 0x93, 0xE0, 0x02, 0x02, 0x74]
            + [0x00]  // regex: null
            + [0x00, 0x01, 0x00]
        var buffer = ByteBuffer(bytes: body)
        let request = try KafkaConsumerGroupHeartbeatRequest.decode(version: 1, from: &buffer)
        #expect(buffer.readableBytes == 0 && request.memberId == "AB" && request.subscribedTopicRegex == nil)
        #expect(request.subscribedTopicNames == ["t"] && request.topicPartitions == [])
        var v0 = ByteBuffer(bytes: body)
        // Read as v0 the regex's byte shifts every field after it, and the tags no longer parse.
        #expect(throws: KafkaDecodeError.self) { try KafkaConsumerGroupHeartbeatRequest.decode(version: 0, from: &v0) }
    }

    @Test func heartbeatRequestWithNullsMeaningUnchanged() throws {
        var buffer = ByteBuffer(bytes: [0x02, 0x67, 0x02, 0x6D, 0, 0, 0, 3, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0])
        let request = try KafkaConsumerGroupHeartbeatRequest.decode(version: 0, from: &buffer)
        #expect(request.memberEpoch == 3 && request.rebalanceTimeoutMs == -1)
        #expect(request.subscribedTopicNames == nil && request.topicPartitions == nil && request.serverAssignor == nil)
    }

    @Test func heartbeatResponseWithAnAssignment() {
        let response = KafkaConsumerGroupHeartbeatResponse(
            memberId: "m", memberEpoch: 1, heartbeatIntervalMs: 3_000,
            assignment: [.init(topicId: 1, partitions: [0, 1])])
        let expected: [UInt8] =
            [0, 0, 0, 0, 0, 0]  // throttle, error
            + [0x00]  // error message: null
            + [0x02, 0x6D]  // member id "m"
            + [0, 0, 0, 1, 0, 0, 0x0B, 0xB8]  // epoch 1, interval 3000
            + [0x01]  // assignment present
            + [0x02] + [UInt8](repeating: 0, count: 15) + [1]  // one topic, its id
            + [0x03, 0, 0, 0, 0, 0, 0, 0, 1, 0x00]  // partitions [0, 1], tags
            + [0x00, 0x00]  // assignment's tags, the response's
        #expect(bytes(response) == expected)
        // Unchanged: a null assignment.
        #expect(
            bytes(KafkaConsumerGroupHeartbeatResponse(memberId: nil, memberEpoch: 2, heartbeatIntervalMs: 250))
                == [0, 0, 0, 0, 0, 0, 0, 0x00, 0, 0, 0, 2, 0, 0, 0, 0xFA, 0xFF, 0x00])
        // A refusal.
        #expect(
            bytes(KafkaConsumerGroupHeartbeatResponse(errorCode: .fencedMemberEpoch, errorMessage: "x"))
                == [0, 0, 0, 0, 0, 110, 0x02, 0x78, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0, 0xFF, 0x00])
    }

    @Test func bothAPIsAreFlexibleWithHeaderV2AndV1() {
        for key: KafkaAPIKey in [.consumerGroupHeartbeat, .consumerGroupDescribe] {
            #expect(KafkaRequestHeader.usesHeaderV2(apiKey: key.rawValue, apiVersion: 0))
            #expect(KafkaResponseFrame.usesHeaderV1(apiKey: key.rawValue, apiVersion: 0))
        }
        #expect(KafkaAPIVersions.range(of: 68) == .init(apiKey: 68, minVersion: 0, maxVersion: 1))
        #expect(KafkaAPIVersions.range(of: 69) == .init(apiKey: 69, minVersion: 0, maxVersion: 0))
    }

    @Test func describeRequestAndResponse() throws {
        var buffer = ByteBuffer(bytes: [0x02, 0x02, 0x67, 0x01, 0x00])
        let request = try KafkaConsumerGroupDescribeRequest.decode(version: 0, from: &buffer)
        #expect(request == KafkaConsumerGroupDescribeRequest(groupIds: ["g"], includeAuthorizedOperations: true))

        let partitions = [
            KafkaConsumerGroupDescribeResponse.TopicPartitions(topicId: 2, topicName: "t", partitions: [3])
        ]
        let response = KafkaConsumerGroupDescribeResponse(groups: [
            .init(
                groupId: "g", groupState: "Stable", groupEpoch: 5, assignmentEpoch: 5, assignorName: "uniform",
                members: [
                    .init(
                        memberId: "m", memberEpoch: 5, clientId: "c", clientHost: "h", subscribedTopicNames: ["t"],
                        assignment: partitions, targetAssignment: [])
                ])
        ])
        let topic: [UInt8] = [UInt8](repeating: 0, count: 15) + [2] + [0x02, 0x74, 0x02, 0, 0, 0, 3, 0x00]
        let expected: [UInt8] =
            [0, 0, 0, 0, 0x02]  // throttle, one group
            + [0, 0, 0x00, 0x02, 0x67]  // error, message null, "g"
            + [0x07] + Array("Stable".utf8) + [0, 0, 0, 5, 0, 0, 0, 5] + [0x08] + Array("uniform".utf8)
            + [0x02, 0x02, 0x6D, 0x00, 0x00, 0, 0, 0, 5, 0x02, 0x63, 0x02, 0x68]  // one member: id, nulls, epoch, c, h
            + [0x02, 0x02, 0x74, 0x00]  // topics ["t"], regex null
            + [0x02] + topic + [0x00]  // assignment: one topic, tags
            + [0x01, 0x00]  // target: none, tags
            + [0x00]  // member's tags
            + [0x80, 0, 0, 0, 0x00]  // authorized operations not asked; group's tags
            + [0x00]
        #expect(bytes(response) == expected)
    }

    @Test func consumerOffsetsRecordsAreKafkasEncoding() {
        #expect(
            KafkaConsumerOffsets.key(group: "g", topic: "t", partition: 2)
                == [0, 1, 0, 1, 0x67, 0, 1, 0x74, 0, 0, 0, 2])
        #expect(
            KafkaConsumerOffsets.value(offset: 5, metadata: nil, commitTimestamp: 7)
                == [0, 3, 0, 0, 0, 0, 0, 0, 0, 5, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7])
        #expect(
            KafkaConsumerOffsets.value(offset: 0, metadata: "ab", commitTimestamp: 0)[14...17] == [0, 2, 0x61, 0x62])
    }
}
